/* hbasim DDK surface: the scsi.h subset a miniport or class driver uses -- CDB operation codes
 * (SCSIOP_*), the CDB union, status bytes (SCSISTAT_*), sense keys (SCSI_SENSE_*) and additional
 * sense codes (SCSI_ADSENSE_*), SENSE_DATA, INQUIRYDATA and READ_CAPACITY_DATA, with the DDK's
 * names. The values are the SCSI standard's (SCSI-2, SPC, SBC); models/scsi.h holds the same
 * standard values under the target models' own names -- the two sides share nothing.
 *
 * Multi-byte fields inside CDBs and returned data are big-endian, as on the SCSI bus; the
 * structures hold them as bytes (or, for READ_CAPACITY_DATA, as the ULONGs the DDK declares,
 * which the class driver byte-swaps). Bit-fields are UCHAR and allocated from the least
 * significant bit, as GCC and MSVC both do on x86-64. */
#ifndef HBASIM_DDK_SCSI_H
#define HBASIM_DDK_SCSI_H

#include <stddef.h>

#include "ntdef.h"

/* ---- operation codes -------------------------------------------------------------------- */

#define SCSIOP_TEST_UNIT_READY 0x00
#define SCSIOP_REZERO_UNIT 0x01
#define SCSIOP_REQUEST_SENSE 0x03
#define SCSIOP_FORMAT_UNIT 0x04
#define SCSIOP_READ_BLOCK_LIMITS 0x05
#define SCSIOP_REASSIGN_BLOCKS 0x07
#define SCSIOP_READ6 0x08
#define SCSIOP_WRITE6 0x0A
#define SCSIOP_SEEK6 0x0B
#define SCSIOP_INQUIRY 0x12
#define SCSIOP_VERIFY6 0x13
#define SCSIOP_MODE_SELECT 0x15
#define SCSIOP_RESERVE_UNIT 0x16
#define SCSIOP_RELEASE_UNIT 0x17
#define SCSIOP_MODE_SENSE 0x1A
#define SCSIOP_START_STOP_UNIT 0x1B
#define SCSIOP_RECEIVE_DIAGNOSTIC 0x1C
#define SCSIOP_SEND_DIAGNOSTIC 0x1D
#define SCSIOP_MEDIUM_REMOVAL 0x1E
#define SCSIOP_READ_CAPACITY 0x25
#define SCSIOP_READ 0x28
#define SCSIOP_WRITE 0x2A
#define SCSIOP_SEEK 0x2B
#define SCSIOP_WRITE_VERIFY 0x2E
#define SCSIOP_VERIFY 0x2F
#define SCSIOP_SYNCHRONIZE_CACHE 0x35
#define SCSIOP_READ_DEFECT_DATA 0x37
#define SCSIOP_WRITE_BUFFER 0x3B
#define SCSIOP_READ_BUFFER 0x3C
#define SCSIOP_MODE_SELECT10 0x55
#define SCSIOP_MODE_SENSE10 0x5A
#define SCSIOP_READ16 0x88
#define SCSIOP_WRITE16 0x8A
#define SCSIOP_READ_CAPACITY16 0x9E /* SERVICE ACTION IN(16), service action 0x10 */
#define SCSIOP_REPORT_LUNS 0xA0
#define SCSIOP_READ12 0xA8
#define SCSIOP_WRITE12 0xAA

/* the CDB length a group code implies (bits 7:5 of the operation code) */
#define CDB6GENERIC_LENGTH 6
#define CDB10GENERIC_LENGTH 10
#define CDB12GENERIC_LENGTH 12

/* ---- CDB -------------------------------------------------------------------------------- */

typedef union _CDB {
  struct _CDB6READWRITE {
    UCHAR OperationCode;
    UCHAR LogicalBlockMsb1 : 5;
    UCHAR LogicalUnitNumber : 3;
    UCHAR LogicalBlockMsb0;
    UCHAR LogicalBlockLsb;
    UCHAR TransferBlocks;    /* 0 means 256 */
    UCHAR Control;
  } CDB6READWRITE;
  struct _CDB10 {
    UCHAR OperationCode;
    UCHAR RelativeAddress : 1;
    UCHAR Reserved1 : 2;
    UCHAR ForceUnitAccess : 1;
    UCHAR DisablePageOut : 1;
    UCHAR LogicalUnitNumber : 3;
    UCHAR LogicalBlockByte0; /* most significant */
    UCHAR LogicalBlockByte1;
    UCHAR LogicalBlockByte2;
    UCHAR LogicalBlockByte3;
    UCHAR Reserved2;
    UCHAR TransferBlocksMsb;
    UCHAR TransferBlocksLsb;
    UCHAR Control;
  } CDB10;
  struct _CDB16 {
    UCHAR OperationCode;
    UCHAR Reserved1 : 3;
    UCHAR ForceUnitAccess : 1;
    UCHAR Reserved2 : 4;
    UCHAR LogicalBlock[8];   /* big-endian */
    UCHAR TransferLength[4]; /* big-endian */
    UCHAR Reserved3;
    UCHAR Control;
  } CDB16;
  UCHAR AsByte[16];
  ULONG AsUlong[4];
} CDB, *PCDB;

_Static_assert(sizeof(struct _CDB6READWRITE) == 6, "CDB6READWRITE is 6 bytes");
_Static_assert(sizeof(struct _CDB10) == 10, "CDB10 is 10 bytes");
_Static_assert(sizeof(struct _CDB16) == 16, "CDB16 is 16 bytes");
_Static_assert(sizeof(CDB) == 16, "CDB is 16 bytes");

/* ---- status byte ------------------------------------------------------------------------ */

#define SCSISTAT_GOOD 0x00
#define SCSISTAT_CHECK_CONDITION 0x02
#define SCSISTAT_CONDITION_MET 0x04
#define SCSISTAT_BUSY 0x08
#define SCSISTAT_INTERMEDIATE 0x10
#define SCSISTAT_INTERMEDIATE_COND_MET 0x14
#define SCSISTAT_RESERVATION_CONFLICT 0x18
#define SCSISTAT_COMMAND_TERMINATED 0x22
#define SCSISTAT_QUEUE_FULL 0x28

/* ---- sense data ------------------------------------------------------------------------- */

/* fixed-format sense data (response codes 0x70 current, 0x71 deferred) */
typedef struct _SENSE_DATA {
  UCHAR ErrorCode : 7;
  UCHAR Valid : 1;           /* Information is valid */
  UCHAR SegmentNumber;
  UCHAR SenseKey : 4;        /* SCSI_SENSE_* */
  UCHAR Reserved : 1;
  UCHAR IncorrectLength : 1;
  UCHAR EndOfMedia : 1;
  UCHAR FileMark : 1;
  UCHAR Information[4];
  UCHAR AdditionalSenseLength; /* bytes after this one */
  UCHAR CommandSpecificInformation[4];
  UCHAR AdditionalSenseCode;   /* SCSI_ADSENSE_* */
  UCHAR AdditionalSenseCodeQualifier;
  UCHAR FieldReplaceableUnitCode;
  UCHAR SenseKeySpecific[3];
} SENSE_DATA, *PSENSE_DATA;

#define SENSE_BUFFER_SIZE sizeof(SENSE_DATA)
#define SCSI_SENSE_ERRORCODE_FIXED_CURRENT 0x70
#define SCSI_SENSE_ERRORCODE_FIXED_DEFERRED 0x71

_Static_assert(sizeof(SENSE_DATA) == 18, "fixed-format sense data is 18 bytes");
_Static_assert(offsetof(SENSE_DATA, Information) == 3, "SENSE_DATA Information offset");
_Static_assert(offsetof(SENSE_DATA, AdditionalSenseLength) == 7, "SENSE_DATA length offset");
_Static_assert(offsetof(SENSE_DATA, AdditionalSenseCode) == 12, "SENSE_DATA ASC offset");
_Static_assert(offsetof(SENSE_DATA, AdditionalSenseCodeQualifier) == 13, "SENSE_DATA ASCQ offset");

/* sense keys */
#define SCSI_SENSE_NO_SENSE 0x00
#define SCSI_SENSE_RECOVERED_ERROR 0x01
#define SCSI_SENSE_NOT_READY 0x02
#define SCSI_SENSE_MEDIUM_ERROR 0x03
#define SCSI_SENSE_HARDWARE_ERROR 0x04
#define SCSI_SENSE_ILLEGAL_REQUEST 0x05
#define SCSI_SENSE_UNIT_ATTENTION 0x06
#define SCSI_SENSE_DATA_PROTECT 0x07
#define SCSI_SENSE_BLANK_CHECK 0x08
#define SCSI_SENSE_UNIQUE 0x09
#define SCSI_SENSE_COPY_ABORTED 0x0A
#define SCSI_SENSE_ABORTED_COMMAND 0x0B
#define SCSI_SENSE_EQUAL 0x0C
#define SCSI_SENSE_VOL_OVERFLOW 0x0D
#define SCSI_SENSE_MISCOMPARE 0x0E
#define SCSI_SENSE_RESERVED 0x0F

/* additional sense codes a disk class driver acts on */
#define SCSI_ADSENSE_NO_SENSE 0x00
#define SCSI_ADSENSE_LUN_NOT_READY 0x04
#define SCSI_ADSENSE_ILLEGAL_COMMAND 0x20
#define SCSI_ADSENSE_ILLEGAL_BLOCK 0x21
#define SCSI_ADSENSE_INVALID_CDB 0x24
#define SCSI_ADSENSE_INVALID_LUN 0x25
#define SCSI_ADSENSE_MEDIUM_CHANGED 0x28
#define SCSI_ADSENSE_BUS_RESET 0x29

/* ---- INQUIRY ---------------------------------------------------------------------------- */

/* a version descriptor of the INQUIRY data: a big-endian 16-bit standard code */
typedef struct _VERSION_DESCRIPTOR {
  UCHAR MSB;
  UCHAR LSB;
} VERSION_DESCRIPTOR, *PVERSION_DESCRIPTOR;

/* members as documented for scsi.h (the documentation page's declaration) */
typedef struct _INQUIRYDATA {
  UCHAR DeviceType : 5;          /* DIRECT_ACCESS_DEVICE ... */
  UCHAR DeviceTypeQualifier : 3; /* DEVICE_QUALIFIER_* */
  UCHAR DeviceTypeModifier : 7;
  UCHAR RemovableMedia : 1;
  UCHAR Versions;
  UCHAR ResponseDataFormat : 4;
  UCHAR HiSupport : 1;
  UCHAR NormACA : 1;
  UCHAR ReservedBit : 1;
  UCHAR AERC : 1;
  UCHAR AdditionalLength;        /* bytes after this one */
  UCHAR Reserved[2];
  UCHAR SoftReset : 1;
  UCHAR CommandQueue : 1;
  UCHAR Reserved2 : 1;
  UCHAR LinkedCommands : 1;
  UCHAR Synchronous : 1;
  UCHAR Wide16Bit : 1;
  UCHAR Wide32Bit : 1;
  UCHAR RelativeAddressing : 1;
  UCHAR VendorId[8];
  UCHAR ProductId[16];
  UCHAR ProductRevisionLevel[4];
  UCHAR VendorSpecific[20];
  UCHAR Reserved3[2];
  VERSION_DESCRIPTOR VersionDescriptors[8];
  UCHAR Reserved4[30];
} INQUIRYDATA, *PINQUIRYDATA;

/* the standard INQUIRY data every target returns (up to ProductRevisionLevel) */
#define INQUIRYDATABUFFERSIZE 36

_Static_assert(offsetof(INQUIRYDATA, AdditionalLength) == 4, "INQUIRYDATA length offset");
_Static_assert(offsetof(INQUIRYDATA, VendorId) == 8, "INQUIRYDATA VendorId offset");
_Static_assert(offsetof(INQUIRYDATA, ProductId) == 16, "INQUIRYDATA ProductId offset");
_Static_assert(offsetof(INQUIRYDATA, ProductRevisionLevel) == 32, "INQUIRYDATA revision offset");
_Static_assert(offsetof(INQUIRYDATA, VendorSpecific) == INQUIRYDATABUFFERSIZE,
               "INQUIRYDATA standard part is 36 bytes");
_Static_assert(offsetof(INQUIRYDATA, VersionDescriptors) == 58, "INQUIRYDATA descriptors offset");

/* DeviceType (peripheral device type) */
#define DIRECT_ACCESS_DEVICE 0x00
#define SEQUENTIAL_ACCESS_DEVICE 0x01
#define PRINTER_DEVICE 0x02
#define PROCESSOR_DEVICE 0x03
#define WRITE_ONCE_READ_MULTIPLE_DEVICE 0x04
#define READ_ONLY_DIRECT_ACCESS_DEVICE 0x05
#define SCANNER_DEVICE 0x06
#define OPTICAL_DEVICE 0x07
#define MEDIUM_CHANGER 0x08
#define COMMUNICATION_DEVICE 0x09
#define LOGICAL_UNIT_NOT_PRESENT_DEVICE 0x7F
/* DeviceTypeQualifier */
#define DEVICE_QUALIFIER_ACTIVE 0x00
#define DEVICE_QUALIFIER_NOT_ACTIVE 0x01
#define DEVICE_QUALIFIER_NOT_SUPPORTED 0x03

/* ---- READ CAPACITY ---------------------------------------------------------------------- */

/* READ CAPACITY(10) data: both values big-endian as received */
typedef struct _READ_CAPACITY_DATA {
  ULONG LogicalBlockAddress;     /* the last LBA */
  ULONG BytesPerBlock;
} READ_CAPACITY_DATA, *PREAD_CAPACITY_DATA;

_Static_assert(sizeof(READ_CAPACITY_DATA) == 8, "READ CAPACITY(10) data is 8 bytes");

#endif
