/* Shared SCSI-2 constants: operation codes, status bytes, message codes, sense keys and the
 * additional sense codes hbasim uses, reset causes, and the CDB length from the group code.
 *
 * Values are from the SCSI-2 standard (X3.131-1994) and, for the commands that came later
 * (READ/WRITE(16), READ CAPACITY(16), REPORT LUNS), from SPC/SBC. Everything here is a
 * constant or a pure inline function; the bus signal bit positions live in scsi_bus.h. */
#ifndef HBASIM_SCSI_DEFS_H
#define HBASIM_SCSI_DEFS_H

#include <stdint.h>

/* ---- operation codes ---------------------------------------------------------------------- */
#define SCSI_OP_TEST_UNIT_READY     0x00u
#define SCSI_OP_REQUEST_SENSE       0x03u
#define SCSI_OP_READ_6              0x08u
#define SCSI_OP_WRITE_6             0x0Au
#define SCSI_OP_INQUIRY             0x12u
#define SCSI_OP_MODE_SELECT_6       0x15u
#define SCSI_OP_RESERVE_6           0x16u
#define SCSI_OP_RELEASE_6           0x17u
#define SCSI_OP_MODE_SENSE_6        0x1Au
#define SCSI_OP_START_STOP_UNIT     0x1Bu
#define SCSI_OP_READ_CAPACITY_10    0x25u
#define SCSI_OP_READ_10             0x28u
#define SCSI_OP_WRITE_10            0x2Au
#define SCSI_OP_VERIFY_10           0x2Fu
#define SCSI_OP_SYNCHRONIZE_CACHE_10 0x35u
#define SCSI_OP_MODE_SELECT_10      0x55u
#define SCSI_OP_MODE_SENSE_10       0x5Au
#define SCSI_OP_READ_16             0x88u
#define SCSI_OP_WRITE_16            0x8Au
#define SCSI_OP_SERVICE_ACTION_IN_16 0x9Eu /* service action 0x10: READ CAPACITY(16) */
#define SCSI_SA_READ_CAPACITY_16    0x10u
#define SCSI_OP_REPORT_LUNS         0xA0u
#define SCSI_OP_READ_12             0xA8u
#define SCSI_OP_WRITE_12            0xAAu

/* ---- status byte -------------------------------------------------------------------------- */
#define SCSI_STATUS_GOOD                 0x00u
#define SCSI_STATUS_CHECK_CONDITION      0x02u
#define SCSI_STATUS_CONDITION_MET        0x04u
#define SCSI_STATUS_BUSY                 0x08u
#define SCSI_STATUS_INTERMEDIATE         0x10u
#define SCSI_STATUS_INTERMEDIATE_MET     0x14u
#define SCSI_STATUS_RESERVATION_CONFLICT 0x18u
#define SCSI_STATUS_COMMAND_TERMINATED   0x22u
#define SCSI_STATUS_QUEUE_FULL           0x28u

/* ---- messages (SCSI-2 6.5) ---------------------------------------------------------------- */
#define SCSI_MSG_COMMAND_COMPLETE      0x00u
#define SCSI_MSG_EXTENDED              0x01u
#define SCSI_MSG_SAVE_DATA_POINTER     0x02u
#define SCSI_MSG_RESTORE_POINTERS      0x03u
#define SCSI_MSG_DISCONNECT            0x04u
#define SCSI_MSG_INITIATOR_DET_ERROR   0x05u
#define SCSI_MSG_ABORT                 0x06u
#define SCSI_MSG_MESSAGE_REJECT        0x07u
#define SCSI_MSG_NO_OPERATION          0x08u
#define SCSI_MSG_PARITY_ERROR          0x09u
#define SCSI_MSG_LINKED_CMD_COMPLETE   0x0Au
#define SCSI_MSG_LINKED_CMD_COMPLETE_F 0x0Bu
#define SCSI_MSG_BUS_DEVICE_RESET      0x0Cu
#define SCSI_MSG_ABORT_TAG             0x0Du
#define SCSI_MSG_CLEAR_QUEUE           0x0Eu
#define SCSI_MSG_SIMPLE_QUEUE_TAG      0x20u
#define SCSI_MSG_HEAD_OF_QUEUE_TAG     0x21u
#define SCSI_MSG_ORDERED_QUEUE_TAG     0x22u
#define SCSI_MSG_IGNORE_WIDE_RESIDUE   0x23u
#define SCSI_MSG_IDENTIFY              0x80u /* bit 7: IDENTIFY */
#define SCSI_MSG_IDENTIFY_DISCPRIV     0x40u /* bit 6: the target may disconnect */
#define SCSI_MSG_IDENTIFY_LUN_MASK     0x07u /* bits 2-0: LUN */

/* ---- sense data ---------------------------------------------------------------------------- */
#define SCSI_SENSE_FIXED_CURRENT 0x70u /* response code of fixed-format current sense */
#define SCSI_SENSE_VALID         0x80u /* byte 0 bit 7: the information field is valid */
#define SCSI_SENSE_LEN           18u   /* fixed format with additional sense length 10 */

#define SCSI_SK_NO_SENSE        0x0u
#define SCSI_SK_RECOVERED_ERROR 0x1u
#define SCSI_SK_NOT_READY       0x2u
#define SCSI_SK_MEDIUM_ERROR    0x3u
#define SCSI_SK_HARDWARE_ERROR  0x4u
#define SCSI_SK_ILLEGAL_REQUEST 0x5u
#define SCSI_SK_UNIT_ATTENTION  0x6u
#define SCSI_SK_DATA_PROTECT    0x7u
#define SCSI_SK_ABORTED_COMMAND 0xBu
#define SCSI_SK_MISCOMPARE      0xEu

/* ASC/ASCQ pairs as (ASC << 8) | ASCQ */
#define SCSI_ASC(asc, ascq) ((uint16_t)(((unsigned)(asc) << 8) | (unsigned)(ascq)))
#define SCSI_ASC_NO_ADDITIONAL_SENSE     SCSI_ASC(0x00, 0x00)
#define SCSI_ASC_WRITE_FAULT             SCSI_ASC(0x03, 0x00) /* peripheral device write fault */
#define SCSI_ASC_NOT_READY               SCSI_ASC(0x04, 0x00) /* cause not reportable */
#define SCSI_ASC_NOT_READY_INIT_REQUIRED SCSI_ASC(0x04, 0x02) /* initializing command required */
#define SCSI_ASC_UNRECOVERED_READ_ERROR  SCSI_ASC(0x11, 0x00)
#define SCSI_ASC_PARAM_LIST_LENGTH_ERROR SCSI_ASC(0x1A, 0x00)
#define SCSI_ASC_INVALID_OPCODE          SCSI_ASC(0x20, 0x00)
#define SCSI_ASC_MISCOMPARE_VERIFY       SCSI_ASC(0x1D, 0x00)
#define SCSI_ASC_LBA_OUT_OF_RANGE        SCSI_ASC(0x21, 0x00)
#define SCSI_ASC_INVALID_FIELD_IN_CDB    SCSI_ASC(0x24, 0x00)
#define SCSI_ASC_LUN_NOT_SUPPORTED       SCSI_ASC(0x25, 0x00)
#define SCSI_ASC_INVALID_FIELD_IN_PARAM  SCSI_ASC(0x26, 0x00)
#define SCSI_ASC_POWER_ON_RESET          SCSI_ASC(0x29, 0x00)
#define SCSI_ASC_BUS_RESET               SCSI_ASC(0x29, 0x02)
#define SCSI_ASC_BDR_RESET               SCSI_ASC(0x29, 0x04)
#define SCSI_ASC_MODE_PARAMS_CHANGED     SCSI_ASC(0x2A, 0x01)
#define SCSI_ASC_SAVING_NOT_SUPPORTED    SCSI_ASC(0x39, 0x00)
#define SCSI_ASC_INTERNAL_TARGET_FAILURE SCSI_ASC(0x44, 0x00)
#define SCSI_ASC_DATA_PHASE_ERROR        SCSI_ASC(0x4B, 0x00)

/* ---- INQUIRY ------------------------------------------------------------------------------ */
#define SCSI_TYPE_DISK           0x00u /* direct-access device */
#define SCSI_INQ_LUN_NOT_PRESENT 0x7Fu /* peripheral qualifier 011b, device type 0x1F */
#define SCSI_VPD_SUPPORTED_PAGES 0x00u
#define SCSI_VPD_UNIT_SERIAL     0x80u
#define SCSI_VPD_DEVICE_ID       0x83u

/* ---- mode pages --------------------------------------------------------------------------- */
#define SCSI_MODE_PAGE_RW_ERROR_RECOVERY 0x01u
#define SCSI_MODE_PAGE_RIGID_GEOMETRY    0x04u
#define SCSI_MODE_PAGE_CACHING           0x08u
#define SCSI_MODE_PAGE_ALL               0x3Fu
#define SCSI_MODE_PC_CURRENT    0u /* page control, MODE SENSE byte 2 bits 7-6 */
#define SCSI_MODE_PC_CHANGEABLE 1u
#define SCSI_MODE_PC_DEFAULT    2u
#define SCSI_MODE_PC_SAVED      3u

/* ---- reset causes (scsi_disk_reset and the bus phase engine) -------------------------------- */
#define SCSI_RESET_POWER 0 /* power cycle: unit attention 06/29/00 */
#define SCSI_RESET_BUS   1 /* RST asserted on the bus: unit attention 06/29/02 */
#define SCSI_RESET_BDR   2 /* BUS DEVICE RESET message: unit attention 06/29/04 */

/* Bytes in a CDB from the group code (operation code bits 7-5): group 0 -> 6, groups 1 and 2
 * -> 10, group 4 -> 16, group 5 -> 12. Groups 3 (reserved), 6 and 7 (vendor specific) -> 0,
 * meaning "not supported": the length of such a command cannot be known from its code. */
static inline unsigned scsi_cdb_len(uint8_t opcode) {
  switch (opcode >> 5) {
  case 0: return 6;
  case 1:
  case 2: return 10;
  case 4: return 16;
  case 5: return 12;
  default: return 0;
  }
}

#endif
