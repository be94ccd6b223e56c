/* hbasim DDK surface: the miniport.h subset a SCSI miniport sees -- the basic NT types and the
 * bus/DMA/interrupt enumerations it hands to the port driver. The real miniport.h repeats
 * these declarations so that a miniport need not include wdm.h; here they come from wdm.h
 * (one definition each: INTERFACE_TYPE, DMA_WIDTH, DMA_SPEED, PHYSICAL_ADDRESS, the IRQL
 * levels) and this header adds what wdm.h does not have yet. docs/ddk_headers.md lists the
 * subset and where it differs from the real headers. */
#ifndef HBASIM_MINIPORT_H
#define HBASIM_MINIPORT_H

#include "ntdef.h"
#include "ntstatus.h"
#include "wdm.h"

/* PORT_CONFIGURATION_INFORMATION.InterruptMode (documented values: LevelSensitive, Latched) */
typedef enum _KINTERRUPT_MODE {
  LevelSensitive,
  Latched
} KINTERRUPT_MODE, *PKINTERRUPT_MODE;

#endif
