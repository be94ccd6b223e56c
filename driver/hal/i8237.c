/* The PC HAL's 8237A programming. See i8237.h and /work/shared ddk-dma.md ("How a PC HAL
 * programs the 8237"). Every register access is one I/O port access through the sim. */
#include "i8237.h"

#include <stddef.h>

#include "sysdma_regs.h"

/* ---------------------------------------------------------------------------------------- */
/* Ports, from the generated register header. Channel 4's address/count registers exist (the
 * 8237A has them) but are never used for a transfer. */

static const uint16_t port_addr[8] = {SYSDMA_DMA1_ADDR0, SYSDMA_DMA1_ADDR1, SYSDMA_DMA1_ADDR2,
                                      SYSDMA_DMA1_ADDR3, SYSDMA_DMA2_ADDR0, SYSDMA_DMA2_ADDR1,
                                      SYSDMA_DMA2_ADDR2, SYSDMA_DMA2_ADDR3};
static const uint16_t port_count[8] = {SYSDMA_DMA1_COUNT0, SYSDMA_DMA1_COUNT1,
                                       SYSDMA_DMA1_COUNT2, SYSDMA_DMA1_COUNT3,
                                       SYSDMA_DMA2_COUNT0, SYSDMA_DMA2_COUNT1,
                                       SYSDMA_DMA2_COUNT2, SYSDMA_DMA2_COUNT3};
/* channel 4 has no page register of its own (the cascade never addresses memory) */
static const uint16_t port_page[8] = {SYSDMA_PAGE0, SYSDMA_PAGE1, SYSDMA_PAGE2, SYSDMA_PAGE3,
                                      0, SYSDMA_PAGE5, SYSDMA_PAGE6, SYSDMA_PAGE7};

typedef struct ctrl_ports {
  uint16_t status, command, request, single_mask, mode, clear_ff, master_clear;
} ctrl_ports_t;

static const ctrl_ports_t ctrl_ports[2] = {
  {SYSDMA_DMA1_STATUS, SYSDMA_DMA1_COMMAND, SYSDMA_DMA1_REQUEST, SYSDMA_DMA1_SMASK,
   SYSDMA_DMA1_MODE, SYSDMA_DMA1_CLRFF, SYSDMA_DMA1_MCLR},
  {SYSDMA_DMA2_STATUS, SYSDMA_DMA2_COMMAND, SYSDMA_DMA2_REQUEST, SYSDMA_DMA2_SMASK,
   SYSDMA_DMA2_MODE, SYSDMA_DMA2_CLRFF, SYSDMA_DMA2_MCLR},
};

/* register fields (8237A datasheet), from the generated header */
#define MODE_BYTE(sel, type, ai, dec, md)                                            \
  (uint8_t)((((unsigned)(sel) << SYSDMA_DMA1_MODE_SEL_SHIFT) & SYSDMA_DMA1_MODE_SEL_MASK) |      \
            (((unsigned)(type) << SYSDMA_DMA1_MODE_TYPE_SHIFT) & SYSDMA_DMA1_MODE_TYPE_MASK) |   \
            (((unsigned)(ai) << SYSDMA_DMA1_MODE_AUTOINIT_SHIFT) &                              \
             SYSDMA_DMA1_MODE_AUTOINIT_MASK) |                                                  \
            (((unsigned)(dec) << SYSDMA_DMA1_MODE_DEC_SHIFT) & SYSDMA_DMA1_MODE_DEC_MASK) |      \
            (((unsigned)(md) << SYSDMA_DMA1_MODE_MODE_SHIFT) & SYSDMA_DMA1_MODE_MODE_MASK))
#define SMASK_BYTE(sel, set)                                                              \
  (uint8_t)((((unsigned)(sel) << SYSDMA_DMA1_SMASK_SEL_SHIFT) & SYSDMA_DMA1_SMASK_SEL_MASK) |    \
            ((set) ? SYSDMA_DMA1_SMASK_SET_MASK : 0u))
#define REQ_BYTE(sel, set)                                                                  \
  (uint8_t)((((unsigned)(sel) << SYSDMA_DMA1_REQUEST_SEL_SHIFT) &                              \
             SYSDMA_DMA1_REQUEST_SEL_MASK) | ((set) ? SYSDMA_DMA1_REQUEST_SET_MASK : 0u))

#define MAX_READS 8u /* readings of a moving counter before giving up */

static int is_word(unsigned ch) { return ch >= 4; }
static unsigned ctrl_of(unsigned ch) { return ch >= 4 ? 1u : 0u; }

static int out(sim_t *s, uint16_t port, uint8_t v) {
  return sim_outb(s, port, v) == SIM_OK ? I8237_OK : I8237_E_BUS;
}

static int in(sim_t *s, uint16_t port, uint8_t *v) {
  return sim_inb(s, port, v) == SIM_OK ? I8237_OK : I8237_E_BUS;
}

#define TRY(expr)              \
  do {                         \
    int rc_ = (expr);          \
    if (rc_ != I8237_OK) return rc_; \
  } while (0)

/* ---------------------------------------------------------------------------------------- */

int i8237_check(const i8237_xfer_desc_t *x) {
  if (!x) return I8237_E_ARG;
  if (x->channel > 7 || x->channel == 4) return I8237_E_CHANNEL;
  if (x->type != I8237_VERIFY && x->type != I8237_WRITE && x->type != I8237_READ)
    return I8237_E_ARG;
  if (x->mode != I8237_DEMAND && x->mode != I8237_SINGLE && x->mode != I8237_BLOCK)
    return I8237_E_ARG;
  if (x->length == 0) return I8237_E_LENGTH;
  int word = is_word(x->channel);
  if (word && ((x->phys & 1u) || (x->length & 1u))) return I8237_E_ALIGN;
  /* the range the transfer touches, lowest and highest byte */
  uint64_t lo, hi;
  if (x->decrement) {
    /* on a word channel the word at the programmed address is the first transferred */
    uint64_t top = (uint64_t)x->phys + (word ? 1u : 0u);
    if ((uint64_t)x->length - 1 > top) return I8237_E_ADDR;
    lo = top - (x->length - 1);
    hi = top;
  } else {
    lo = x->phys;
    hi = (uint64_t)x->phys + x->length - 1;
  }
  if (hi >= (1u << 24)) return I8237_E_ADDR;
  /* the page register holds bits 23:16 (word channels: 23:17); the counter carries nothing
   * into it, so the whole transfer stays inside one page */
  unsigned shift = word ? 17 : 16;
  if ((lo >> shift) != (hi >> shift)) return I8237_E_BOUNDARY;
  return I8237_OK;
}

uint8_t i8237_mode_byte(const i8237_xfer_desc_t *x) {
  if (!x) return 0;
  return MODE_BYTE(x->channel & 3u, x->type, x->autoinit ? 1 : 0, x->decrement ? 1 : 0, x->mode);
}

int i8237_program(sim_t *s, const i8237_xfer_desc_t *x) {
  if (!s) return I8237_E_ARG;
  TRY(i8237_check(x));
  unsigned ch = x->channel, sel = ch & 3u;
  const ctrl_ports_t *c = &ctrl_ports[ctrl_of(ch)];
  /* word channels count words and address words: A16:A1 come from the address register */
  uint32_t addr = is_word(ch) ? x->phys >> 1 : x->phys;
  uint32_t count = (is_word(ch) ? x->length >> 1 : x->length) - 1u;
  uint8_t page = (uint8_t)(x->phys >> 16);
  TRY(out(s, c->single_mask, SMASK_BYTE(sel, 1)));
  TRY(out(s, c->clear_ff, 0));
  TRY(out(s, c->mode, i8237_mode_byte(x)));
  TRY(out(s, port_addr[ch], (uint8_t)addr));
  TRY(out(s, port_addr[ch], (uint8_t)(addr >> 8)));
  TRY(out(s, port_page[ch], page));
  TRY(out(s, port_count[ch], (uint8_t)count));
  TRY(out(s, port_count[ch], (uint8_t)(count >> 8)));
  TRY(out(s, c->single_mask, SMASK_BYTE(sel, 0)));
  return I8237_OK;
}

int i8237_program_mem2mem(sim_t *s, uint32_t src, uint32_t dst, uint32_t length, int hold_src) {
  if (!s) return I8237_E_ARG;
  i8237_xfer_desc_t rd = {.channel = 0, .phys = src, .length = hold_src ? 1u : length,
                          .type = I8237_READ, .mode = I8237_BLOCK};
  i8237_xfer_desc_t wr = {.channel = 1, .phys = dst, .length = length, .type = I8237_WRITE,
                          .mode = I8237_BLOCK};
  TRY(i8237_check(&rd));
  TRY(i8237_check(&wr));
  rd.length = length; /* channel 1's count ends the transfer; channel 0 gets the same */
  const ctrl_ports_t *c = &ctrl_ports[0];
  uint8_t cmd = (uint8_t)(SYSDMA_DMA1_COMMAND_MEM2MEM_MASK |
                          (hold_src ? SYSDMA_DMA1_COMMAND_ADDRHOLD_MASK : 0u));
  /* both channels set up masked, then the command, then the software request on channel 0 */
  for (unsigned i = 0; i < 2; i++) {
    const i8237_xfer_desc_t *x = i ? &wr : &rd;
    uint32_t count = x->length - 1u;
    TRY(out(s, c->single_mask, SMASK_BYTE(x->channel, 1)));
    TRY(out(s, c->clear_ff, 0));
    TRY(out(s, c->mode, i8237_mode_byte(x)));
    TRY(out(s, port_addr[x->channel], (uint8_t)x->phys));
    TRY(out(s, port_addr[x->channel], (uint8_t)(x->phys >> 8)));
    TRY(out(s, port_page[x->channel], (uint8_t)(x->phys >> 16)));
    TRY(out(s, port_count[x->channel], (uint8_t)count));
    TRY(out(s, port_count[x->channel], (uint8_t)(count >> 8)));
  }
  TRY(out(s, c->command, cmd));
  TRY(out(s, c->request, REQ_BYTE(0, 1)));
  return I8237_OK;
}

static int valid_channel(unsigned ch) { return ch <= 7; }

int i8237_mask(sim_t *s, unsigned channel) {
  if (!s) return I8237_E_ARG;
  if (!valid_channel(channel)) return I8237_E_CHANNEL;
  return out(s, ctrl_ports[ctrl_of(channel)].single_mask, SMASK_BYTE(channel & 3u, 1));
}

int i8237_unmask(sim_t *s, unsigned channel) {
  if (!s) return I8237_E_ARG;
  if (!valid_channel(channel)) return I8237_E_CHANNEL;
  return out(s, ctrl_ports[ctrl_of(channel)].single_mask, SMASK_BYTE(channel & 3u, 0));
}

int i8237_stop(sim_t *s, unsigned channel) { return i8237_mask(s, channel); }

/* a 16-bit register through the flip-flop, read until two readings in a row agree */
static int read16_stable(sim_t *s, unsigned channel, uint16_t port, uint16_t *val) {
  uint16_t prev = 0;
  const ctrl_ports_t *c = &ctrl_ports[ctrl_of(channel)];
  for (unsigned i = 0; i < MAX_READS; i++) {
    uint8_t lo, hi;
    TRY(out(s, c->clear_ff, 0));
    TRY(in(s, port, &lo));
    TRY(in(s, port, &hi));
    uint16_t v = (uint16_t)(lo | (hi << 8));
    if (i > 0 && v == prev) {
      *val = v;
      return I8237_OK;
    }
    prev = v;
  }
  return I8237_E_UNSTABLE;
}

int i8237_read_count(sim_t *s, unsigned channel, uint16_t *count) {
  if (!s || !count) return I8237_E_ARG;
  if (!valid_channel(channel)) return I8237_E_CHANNEL;
  return read16_stable(s, channel, port_count[channel], count);
}

int i8237_read_count_live(sim_t *s, unsigned channel, uint16_t *count) {
  if (!s || !count) return I8237_E_ARG;
  if (!valid_channel(channel)) return I8237_E_CHANNEL;
  const ctrl_ports_t *c = &ctrl_ports[ctrl_of(channel)];
  uint16_t port = port_count[channel];
  uint8_t lo_a, hi_a;
  TRY(out(s, c->clear_ff, 0));
  TRY(in(s, port, &lo_a));
  TRY(in(s, port, &hi_a));
  for (unsigned i = 0; i < MAX_READS; i++) {
    uint8_t lo_b, hi_b;
    TRY(in(s, port, &lo_b));
    TRY(in(s, port, &hi_b));
    if (hi_b == hi_a && lo_b <= lo_a) {
      *count = (uint16_t)(lo_a | (hi_a << 8));
      return I8237_OK;
    }
    lo_a = lo_b;
    hi_a = hi_b;
  }
  return I8237_E_UNSTABLE;
}

int i8237_read_address(sim_t *s, unsigned channel, uint16_t *addr) {
  if (!s || !addr) return I8237_E_ARG;
  if (!valid_channel(channel)) return I8237_E_CHANNEL;
  return read16_stable(s, channel, port_addr[channel], addr);
}

int i8237_residual(sim_t *s, unsigned channel, uint32_t *bytes) {
  if (!s || !bytes) return I8237_E_ARG;
  if (channel > 7 || channel == 4) return I8237_E_CHANNEL;
  uint16_t count;
  TRY(i8237_read_count(s, channel, &count));
  uint32_t units = ((uint32_t)count + 1u) & 0xFFFFu;
  *bytes = is_word(channel) ? units * 2u : units;
  return I8237_OK;
}

int i8237_current_phys(sim_t *s, unsigned channel, uint32_t *phys) {
  if (!s || !phys) return I8237_E_ARG;
  if (channel > 7 || channel == 4) return I8237_E_CHANNEL;
  uint16_t addr;
  uint8_t page;
  TRY(i8237_read_address(s, channel, &addr));
  TRY(in(s, port_page[channel], &page));
  if (is_word(channel))
    *phys = ((uint32_t)(page & 0xFEu) << 16) | ((uint32_t)addr << 1);
  else
    *phys = ((uint32_t)page << 16) | addr;
  return I8237_OK;
}

int i8237_read_status(sim_t *s, unsigned channel, uint8_t *status) {
  if (!s || !status) return I8237_E_ARG;
  if (!valid_channel(channel)) return I8237_E_CHANNEL;
  return in(s, ctrl_ports[ctrl_of(channel)].status, status);
}

int i8237_write_command(sim_t *s, unsigned channel, uint8_t cmd) {
  if (!s) return I8237_E_ARG;
  if (!valid_channel(channel)) return I8237_E_CHANNEL;
  return out(s, ctrl_ports[ctrl_of(channel)].command, cmd);
}

int i8237_request(sim_t *s, unsigned channel, int on) {
  if (!s) return I8237_E_ARG;
  if (!valid_channel(channel)) return I8237_E_CHANNEL;
  return out(s, ctrl_ports[ctrl_of(channel)].request, REQ_BYTE(channel & 3u, on));
}

int i8237_bios_init(sim_t *s) {
  if (!s) return I8237_E_ARG;
  for (unsigned i = 0; i < 2; i++) {
    /* master clear: like a reset, every mask bit set, flip-flop cleared */
    TRY(out(s, ctrl_ports[i].master_clear, 0));
    TRY(out(s, ctrl_ports[i].command, 0));
  }
  /* channel 4 carries controller 1's requests: cascade mode, then unmasked */
  TRY(out(s, ctrl_ports[1].mode, MODE_BYTE(0, I8237_VERIFY, 0, 0, I8237_CASCADE)));
  TRY(out(s, ctrl_ports[1].single_mask, SMASK_BYTE(0, 0)));
  return I8237_OK;
}

const char *i8237_strerror(int status) {
  switch (status) {
    case I8237_OK: return "ok";
    case I8237_E_CHANNEL: return "bad channel (4 is the cascade, 0-3 and 5-7 move data)";
    case I8237_E_LENGTH: return "zero length";
    case I8237_E_ALIGN: return "odd address or length on a word channel";
    case I8237_E_ADDR: return "address range outside the low 16 MiB";
    case I8237_E_BOUNDARY: return "transfer crosses a 64 KiB / 128 KiB page boundary";
    case I8237_E_ARG: return "bad argument";
    case I8237_E_BUS: return "I/O port access failed";
    case I8237_E_UNSTABLE: return "counter never read the same twice";
    default: return "unknown status";
  }
}
