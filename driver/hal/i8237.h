/* How a PC HAL programs the system DMA controller (a cascaded 8237A pair with page registers),
 * as C over the harness API: every register access is a real I/O port access (sim_outb /
 * sim_inb) through the APB I/O window. Port numbers and register fields come from the
 * generated header sysdma_regs.h (rtl/sysdma/data/sysdma.regs).
 *
 * Channels 0-3 are byte channels on controller 1, 5-7 word channels on controller 2; channel 4
 * is the cascade of controller 1 into controller 2 and is never programmed for a transfer.
 * A transfer never leaves one 64 KiB page (byte channels) or 128 KiB page (word channels) and
 * stays below 16 MiB: the page register only supplies address bits 23:16. */
#ifndef HBASIM_I8237_H
#define HBASIM_I8237_H

#include <stdint.h>

#include "sim.h"

/* status codes: 0 or one of these (distinct from the sim's SIM_E_* codes) */
typedef enum {
  I8237_OK = 0,
  I8237_E_CHANNEL = -101,   /* channel 4 (the cascade) or > 7 */
  I8237_E_LENGTH = -102,    /* zero length */
  I8237_E_ALIGN = -103,     /* odd address or odd length on a word channel (5-7) */
  I8237_E_ADDR = -104,      /* part of the transfer at or above 16 MiB (or below 0 when
                               decrementing) */
  I8237_E_BOUNDARY = -105,  /* crosses a 64 KiB (byte) / 128 KiB (word) boundary */
  I8237_E_ARG = -106,       /* NULL sim or descriptor, bad transfer type / request mode */
  I8237_E_BUS = -107,       /* an I/O port access failed (PSLVERR, timeout, reset) */
  I8237_E_UNSTABLE = -108   /* the counter never read the same twice in a row */
} i8237_status_t;

/* mode register, bits 3:2: named from memory's side, as in the 8237A datasheet */
typedef enum {
  I8237_VERIFY = 0,         /* addresses and counts run, no data moves */
  I8237_WRITE = 1,          /* device -> memory */
  I8237_READ = 2            /* memory -> device */
} i8237_xfer_t;

/* mode register, bits 7:6 */
typedef enum {
  I8237_DEMAND = 0,
  I8237_SINGLE = 1,
  I8237_BLOCK = 2,
  I8237_CASCADE = 3
} i8237_reqmode_t;

typedef struct i8237_xfer_desc {
  unsigned channel;         /* 0-3, 5-7 */
  uint32_t phys;            /* physical address of the first byte transferred (with
                               decrement: the highest byte of the range) */
  uint32_t length;          /* bytes; even on word channels */
  i8237_xfer_t type;
  i8237_reqmode_t mode;     /* DEMAND, SINGLE or BLOCK */
  int autoinit;             /* reload base address/count at terminal count */
  int decrement;            /* address counts down */
} i8237_xfer_desc_t;

/* the checks of i8237_program without touching the hardware: I8237_OK or the error */
int i8237_check(const i8237_xfer_desc_t *x);
/* the mode byte i8237_program writes for x (channel bits = channel & 3) */
uint8_t i8237_mode_byte(const i8237_xfer_desc_t *x);

/* Program one transfer: single mask set, clear flip-flop, mode, address low, address high
 * (word channels: physical >> 1), page (physical >> 16), count low, count high (transfers - 1),
 * single mask clear. Checks first; on a check error nothing is written. */
int i8237_program(sim_t *s, const i8237_xfer_desc_t *x);

/* single mask register: set (stop/hold off) or clear (enable) one channel's mask */
int i8237_mask(sim_t *s, unsigned channel);
int i8237_unmask(sim_t *s, unsigned channel);
int i8237_stop(sim_t *s, unsigned channel);     /* = i8237_mask: the HAL's "stop" */

/* Current count / current address through the flip-flop (clear, low byte, high byte),
 * repeated until two consecutive readings agree (the counter may move between the two byte
 * reads). Raw 16-bit register values. */
int i8237_read_count(sim_t *s, unsigned channel, uint16_t *count);
int i8237_read_address(sim_t *s, unsigned channel, uint16_t *addr);
/* The current count of a channel that may be transferring back to back (demand or block mode
 * moves the count faster than two readings can agree): reads low/high pairs through the
 * flip-flop and accepts a pair (lo_a, hi_a) when the next pair has the same high byte and a
 * low byte no larger -- no borrow happened between them, so hi_a:lo_a was the count when lo_a
 * was read (two equal readings qualify too). I8237_E_UNSTABLE when no such pair shows up in 8
 * tries. (Added for the HAL's ReadDmaCounter.) */
int i8237_read_count_live(sim_t *s, unsigned channel, uint16_t *count);
/* bytes not yet transferred: (count + 1) transfers, times 2 on word channels. A count of
 * 0xFFFF (terminal count reached, or a full 64 K transfer not yet started) reads as 0. */
int i8237_residual(sim_t *s, unsigned channel, uint32_t *bytes);
/* physical byte address the channel will use next: page and current address combined */
int i8237_current_phys(sim_t *s, unsigned channel, uint32_t *phys);

/* status register of the controller that owns `channel` (0-3: controller 1, 4-7: controller 2):
 * bits 3:0 terminal count reached (cleared by this read, as on the 8237A), 7:4 request pending */
int i8237_read_status(sim_t *s, unsigned channel, uint8_t *status);
/* command register of the controller that owns `channel` (write-only on the 8237A) */
int i8237_write_command(sim_t *s, unsigned channel, uint8_t cmd);
/* software DREQ (request register) of a channel: on != 0 sets it, 0 clears it */
int i8237_request(sim_t *s, unsigned channel, int on);

/* Memory-to-memory copy on controller 1: channel 0 reads from src, channel 1 writes to dst,
 * both block mode; the command register gets memory-to-memory enable (plus channel 0 address
 * hold when hold_src, a fill from one byte), then a software request on channel 0 starts it.
 * The same 16 MiB / 64 KiB rules apply to both ranges. */
int i8237_program_mem2mem(sim_t *s, uint32_t src, uint32_t dst, uint32_t length, int hold_src);

/* What a PC BIOS does at power-on: master clear of both controllers, command register 0
 * (DREQ active high, DACK active low, fixed priority, normal timing), cascade mode on channel 4,
 * channel 4 unmasked. Every other channel stays masked. */
int i8237_bios_init(sim_t *s);

const char *i8237_strerror(int status);

#endif
