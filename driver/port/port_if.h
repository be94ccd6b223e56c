/* What a class driver needs from a port driver: the upper edge that Windows reaches with
 * IRP_MJ_SCSI and IOCTL_SCSI_GET_CAPABILITIES, as a small table of operations so that one class
 * layer (driver/class) runs over SCSI Port (driver/scsiport, sp_port_if) and over Storport
 * (driver/storport) alike. Only the SRB definitions shared by srb.h and storport.h are used:
 * a Storport source includes storport.h first, then this header. */
#ifndef HBASIM_PORT_IF_H
#define HBASIM_PORT_IF_H

#include "srb.h"

/* ntddscsi.h IO_SCSI_CAPABILITIES, what IOCTL_SCSI_GET_CAPABILITIES returns */
typedef struct _IO_SCSI_CAPABILITIES {
  ULONG Length;
  ULONG MaximumTransferLength;
  ULONG MaximumPhysicalPages;     /* NumberOfPhysicalBreaks + 1 */
  ULONG SupportedAsynchronousEvents;
  ULONG AlignmentMask;
  BOOLEAN TaggedQueuing;
  BOOLEAN AdapterScansDown;
  BOOLEAN AdapterUsesPio;
} IO_SCSI_CAPABILITIES, *PIO_SCSI_CAPABILITIES;

/* Completion of an SRB given to execute: at DISPATCH_LEVEL, after the port finished with it
 * (SrbStatus, ScsiStatus, DataTransferLength = bytes moved, SenseInfoBufferLength = sense bytes
 * when SRB_STATUS_AUTOSENSE_VALID). */
typedef void (*port_completion_fn)(PSCSI_REQUEST_BLOCK Srb, void *ctx);

typedef struct port_if {
  void *port;
  /* queue Srb on its logical unit at IRQL <= DISPATCH_LEVEL (the port's documentation gives
   * the rules and status codes: STATUS_PENDING means done will run) */
  NTSTATUS (*execute)(void *port, PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, port_completion_fn done,
                      void *ctx);
  int (*capabilities)(const void *port, IO_SCSI_CAPABILITIES *out);   /* 0 or -1 */
  UCHAR (*initiator_id)(const void *port);
  UCHAR (*max_targets)(const void *port);
  UCHAR (*max_luns)(const void *port);
} port_if_t;

#endif
