/* sysdma conformance, transfers: single, demand and block mode; write (device -> memory), read
 * (memory -> device) and verify transfers on byte channels 0-3 and word channels 5-7;
 * autoinitialize, address decrement, the count+1 rule, terminal count (status, EOP out), the
 * 64 KiB / 128 KiB wrap (the page register never increments), software requests, masks and
 * the residual count of a demand transfer the device stopped early. Facts from the Intel
 * 8237A datasheet; the address layout (page register A23-A16, word channels A16-A1 from the
 * controller and A23-A17 from the page) as on the PC/AT. Every transfer checks the bytes. */
#include <stdlib.h>

#include "i8237.h"
#include "soc_ctrl_regs.h"
#include "sysdma_util.h"

static const unsigned data_chans[7] = {0, 1, 2, 3, 5, 6, 7};

/* ---- a transfer job ------------------------------------------------------------------- */

typedef struct job {
  unsigned ch, type, mode;
  int autoinit, dec;
  unsigned units;       /* transfers (count register = units - 1) */
  uint16_t addr;        /* address register: bytes (0-3) or words (5-7) */
  uint8_t page;
  uint8_t *mem;         /* memory contents before, units * width bytes, unit i at mem[i*w] */
  uint8_t *src, *sink;  /* device data, units * width bytes each */
  uint8_t guard_lo[2], guard_hi[2];   /* the units just outside the range, before */
} job_t;

/* physical address of unit i (i may be -1 or units: the guards). The controller's address
 * counts inside 16 bits; the page register supplies the rest and never increments. */
static uint64_t job_pa(const job_t *j, long i) {
  uint16_t a = (uint16_t)(j->dec ? j->addr - i : j->addr + i);
  if (sd_width(j->ch) == 1) return ((uint64_t)j->page << 16) | a;
  return ((uint64_t)(j->page & 0xFEu) << 16) | ((uint64_t)a << 1);
}

static size_t job_bytes(const job_t *j) { return (size_t)j->units * sd_width(j->ch); }

/* seeds memory at every unit and both guards, device source data, clears the sink */
static void job_prepare(test_ctx_t *t, sim_t *s, job_t *j, uint64_t stream) {
  unsigned w = sd_width(j->ch);
  size_t n = job_bytes(j);
  j->mem = malloc(n);
  j->src = malloc(n);
  j->sink = calloc(1, n);
  REQUIRE(t, j->mem && j->src && j->sink, "malloc");
  for (unsigned i = 0; i < j->units; i++)
    sd_seed_mem(t, s, job_pa(j, i), j->mem + (size_t)i * w, w, stream * 1000 + i);
  sd_seed_mem(t, s, job_pa(j, -1), j->guard_lo, w, stream * 1000 + 998);
  sd_seed_mem(t, s, job_pa(j, j->units), j->guard_hi, w, stream * 1000 + 999);
  sd_seed_buf(t, j->src, n, stream * 1000 + 997);
}

static void job_free(job_t *j) {
  free(j->mem);
  free(j->src);
  free(j->sink);
  j->mem = j->src = j->sink = NULL;
}

static void job_program(test_ctx_t *t, sim_t *s, const job_t *j) {
  sd_program(t, s, j->ch, sd_mode_byte(j->ch, j->type, j->autoinit, j->dec, j->mode), j->addr,
             j->page, (uint16_t)(j->units - 1));
}

/* arm the device for the job: source and sink of `units` units, DREQ as given */
static void job_arm(test_ctx_t *t, sim_t *s, job_t *j, sim_dreq_mode_t dreq, unsigned count,
                    unsigned gap) {
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = dreq;
  dc.count = count;
  dc.gap = gap;
  dc.src = j->src;
  dc.src_len = job_bytes(j);
  dc.sink = j->sink;
  dc.sink_len = job_bytes(j);
  REQUIRE_OK(t, sim_dmadev_config(s, j->ch, &dc));
}

/* the first `done` units moved as the job's type says, the rest of memory untouched */
static void job_check_data(test_ctx_t *t, sim_t *s, const job_t *j, unsigned done) {
  unsigned w = sd_width(j->ch);
  hostmem_t *m = sim_mem(s);
  for (unsigned i = 0; i < j->units; i++) {
    uint8_t got[2];
    REQUIRE_EQ(t, hostmem_read(m, job_pa(j, i), got, w), 0);
    const uint8_t *want = (j->type == SD_WRITE && i < done) ? j->src + (size_t)i * w
                                                              : j->mem + (size_t)i * w;
    CHECK(t, memcmp(got, want, w) == 0,
          "ch %u unit %u at PA 0x%llx: memory %02x%02x, want %02x%02x", j->ch, i,
          (unsigned long long)job_pa(j, i), got[w - 1], got[0], want[w - 1], want[0]);
    if (j->type == SD_READ && i < done)
      CHECK(t, memcmp(j->sink + (size_t)i * w, j->mem + (size_t)i * w, w) == 0,
            "ch %u unit %u: the device got %02x%02x, memory holds %02x%02x", j->ch, i,
            j->sink[(size_t)i * w + w - 1], j->sink[(size_t)i * w], j->mem[(size_t)i * w + w - 1],
            j->mem[(size_t)i * w]);
  }
  uint8_t g[2];
  REQUIRE_EQ(t, hostmem_read(m, job_pa(j, -1), g, w), 0);
  CHECK(t, memcmp(g, j->guard_lo, w) == 0, "ch %u: the unit before the range changed", j->ch);
  REQUIRE_EQ(t, hostmem_read(m, job_pa(j, j->units), g, w), 0);
  CHECK(t, memcmp(g, j->guard_hi, w) == 0, "ch %u: the unit after the range changed", j->ch);
}

/* Programs, arms, unmasks and runs one job to terminal count; checks the data, the device's
 * view (transfers, one EOP out), the current registers, the status TC bit (cleared by the
 * read) and, without autoinitialize, that the channel masked itself. */
static void job_start(test_ctx_t *t, sim_t *s, job_t *j, sim_dreq_mode_t dreq, unsigned gap,
                      sim_axi_stats_t *ax0) {
  sim_axi_stats(s, ax0);
  job_program(t, s, j);
  job_arm(t, s, j, dreq, 0, gap);
  sd_unmask(t, s, j->ch);
  sd_wait_tc(t, s, j->ch, 1, 2000u + 400u * j->units);
  REQUIRE_OK(t, sim_dmadev_stop(s, j->ch));
  REQUIRE_OK(t, sim_step(s, 100));
}

static void job_finish(test_ctx_t *t, sim_t *s, job_t *j, const sim_axi_stats_t *ax0) {
  sim_axi_stats_t ax1;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, j->ch, &st);
  unsigned w = sd_width(j->ch);
  if (j->type == SD_VERIFY && j->mode != SD_SINGLE) {
    /* the device model sees one DACK period for a run of verify transfers: the registers
     * below show the count */
    CHECK(t, st.transfers >= 1, "ch %u: no DACK for the verify transfers", j->ch);
  } else {
    CHECK_EQ(t, st.transfers, j->units);
  }
  CHECK_EQ(t, st.tc_count, 1);
  CHECK_EQ(t, st.bytes_in, j->type == SD_WRITE ? j->units * w : 0u);
  CHECK_EQ(t, st.bytes_out, j->type == SD_READ ? j->units * w : 0u);
  job_check_data(t, s, j, j->units);
  sim_axi_stats(s, &ax1);
  CHECK_EQ(t, ax1.ar - ax0->ar, j->type == SD_READ ? j->units : 0u);
  CHECK_EQ(t, ax1.aw - ax0->aw, j->type == SD_WRITE ? j->units : 0u);
  if (j->autoinit) {
    CHECK_EQ(t, sd_cur_addr(t, s, j->ch), j->addr);
    CHECK_EQ(t, sd_cur_count(t, s, j->ch), j->units - 1);
  } else {
    CHECK_EQ(t, sd_cur_addr(t, s, j->ch),
             (uint16_t)(j->dec ? j->addr - j->units : j->addr + j->units));
    CHECK_EQ(t, sd_cur_count(t, s, j->ch), 0xFFFF);
  }
  uint8_t status = sd_status(t, s, j->ch);
  CHECK_EQ(t, status & SYSDMA_DMA1_STATUS_TC_MASK, 1u << sd_sel(j->ch));
  CHECK_EQ(t, sd_status(t, s, j->ch) & SYSDMA_DMA1_STATUS_TC_MASK, 0);
  if (!j->autoinit) {
    /* the channel masked itself at TC: a new request is not acknowledged */
    sd_arm(t, s, j->ch, SIM_DREQ_ALWAYS, 0, NULL, NULL, 0);
    REQUIRE_OK(t, sim_step(s, 2000));
    sim_dmadev_stats(s, j->ch, &st);
    CHECK_EQ(t, st.first_dack_cycle, 0);
    REQUIRE_OK(t, sim_dmadev_stop(s, j->ch));
  }
}

static void job_run(test_ctx_t *t, sim_t *s, job_t *j, sim_dreq_mode_t dreq, unsigned gap) {
  sim_axi_stats_t ax0;
  job_start(t, s, j, dreq, gap, &ax0);
  job_finish(t, s, j, &ax0);
}

/* A seeded job on ch that stays inside its 64 KiB / 128 KiB page (no wrap) */
static job_t job_random(prng_t *r, unsigned ch, unsigned type, unsigned mode, int dec,
                        unsigned max_units) {
  job_t j;
  memset(&j, 0, sizeof j);
  j.ch = ch;
  j.type = type;
  j.mode = mode;
  j.dec = dec;
  j.units = 1u + (unsigned)prng_below(r, max_units);
  j.addr = (uint16_t)(0x100u + prng_below(r, 0xFE00u - j.units));
  if (dec) j.addr = (uint16_t)(j.addr + j.units);
  j.page = (uint8_t)(1u + prng_below(r, 0xFE));
  return j;
}

/* every data channel in turn: one job of the mode and type, DREQ as given */
static void all_channels(test_ctx_t *t, unsigned type, unsigned mode, int dec,
                         sim_dreq_mode_t dreq, unsigned gap) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  prng_t r;
  prng_seed(&r, test_seed(t), 100 + 16 * mode + 4 * type + (unsigned)dec);
  for (unsigned i = 0; i < 7; i++) {
    job_t j = job_random(&r, data_chans[i], type, mode, dec, 40);
    test_log(t, "channel %u: %u transfers at page 0x%02x address 0x%04x", j.ch, j.units, j.page,
             j.addr);
    job_prepare(t, s, &j, 10 + i);
    job_run(t, s, &j, dreq, gap);
    job_free(&j);
  }
}

/* block mode: DREQ only until DACK (a pulse with a gap longer than the job) */
#define BLOCK_DREQ SIM_DREQ_PULSE, 1000000u

#define ALWAYS SIM_DREQ_ALWAYS, 0u

static void single_write(test_ctx_t *t) { all_channels(t, SD_WRITE, SD_SINGLE, 0, ALWAYS); }
static void single_read(test_ctx_t *t) { all_channels(t, SD_READ, SD_SINGLE, 0, ALWAYS); }
static void single_verify(test_ctx_t *t) { all_channels(t, SD_VERIFY, SD_SINGLE, 0, ALWAYS); }
static void demand_write(test_ctx_t *t) { all_channels(t, SD_WRITE, SD_DEMAND, 0, ALWAYS); }
static void demand_read(test_ctx_t *t) { all_channels(t, SD_READ, SD_DEMAND, 0, ALWAYS); }
static void demand_verify(test_ctx_t *t) { all_channels(t, SD_VERIFY, SD_DEMAND, 0, ALWAYS); }
static void block_write(test_ctx_t *t) { all_channels(t, SD_WRITE, SD_BLOCK, 0, BLOCK_DREQ); }
static void block_read(test_ctx_t *t) { all_channels(t, SD_READ, SD_BLOCK, 0, BLOCK_DREQ); }
static void block_verify(test_ctx_t *t) { all_channels(t, SD_VERIFY, SD_BLOCK, 0, BLOCK_DREQ); }
static void decrement_write(test_ctx_t *t) { all_channels(t, SD_WRITE, SD_DEMAND, 1, ALWAYS); }
static void decrement_read(test_ctx_t *t) { all_channels(t, SD_READ, SD_BLOCK, 1, BLOCK_DREQ); }

/* ---- counts, TC, autoinitialize ------------------------------------------------------- */

static void count_plus_one_transfers(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  const unsigned chans[2] = {1, 7};
  for (unsigned c = 0; c < 2; c++) {
    for (unsigned units = 1; units <= 3; units++) {
      job_t j;
      memset(&j, 0, sizeof j);
      j.ch = chans[c];
      j.type = SD_WRITE;
      j.mode = SD_SINGLE;
      j.units = units;   /* count register units - 1: 0 moves one unit */
      j.addr = (uint16_t)(0x2000u + 0x100u * units);
      j.page = 0x12;
      job_prepare(t, s, &j, 200 + 10 * c + units);
      job_run(t, s, &j, SIM_DREQ_ALWAYS, 0);
      job_free(&j);
    }
  }
}

static void tc_status_eop_once(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  /* bystanders: armed devices on masked channels of both controllers see no EOP */
  const unsigned others[2] = {0, 5};
  for (unsigned i = 0; i < 2; i++) sd_arm(t, s, others[i], SIM_DREQ_ALWAYS, 0, NULL, NULL, 0);
  const unsigned chans[2] = {2, 6};
  for (unsigned c = 0; c < 2; c++) {
    job_t j;
    memset(&j, 0, sizeof j);
    j.ch = chans[c];
    j.type = SD_READ;
    j.mode = SD_DEMAND;
    j.units = 12;
    j.addr = 0x0800;
    j.page = 0x21;
    job_prepare(t, s, &j, 300 + c);
    uint32_t irq = 0;
    REQUIRE_OK(t, sim_apb_write(s, SOC_CTRL_BASE + SOC_CTRL_IRQ_STATUS, 0xFFFFFFFFu, 4));
    sim_axi_stats_t ax0;
    job_start(t, s, &j, SIM_DREQ_ALWAYS, 0, &ax0);
    /* EOP out during the last transfer, not before it */
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, j.ch, &st);
    uint64_t log[12];
    REQUIRE_EQ(t, sim_dmadev_transfer_cycles(s, j.ch, log, 12), 12);
    CHECK(t, st.tc_cycle > log[10] && st.tc_cycle <= log[11], "EOP out in the last transfer");
    job_finish(t, s, &j, &ax0);   /* one EOP under DACK, status TC bit, data, registers */
    /* the TC event reached soc_ctrl for this channel only */
    REQUIRE_OK(t, sim_apb_read(s, SOC_CTRL_BASE + SOC_CTRL_IRQ_STATUS, 4, &irq));
    CHECK_EQ(t, irq & SOC_CTRL_IRQ_STATUS_TC_MASK, 1u << j.ch);
    job_free(&j);
  }
  for (unsigned i = 0; i < 2; i++) {
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, others[i], &st);
    CHECK_EQ(t, st.tc_count, 0);
    CHECK_EQ(t, st.first_dack_cycle, 0);
  }
}

typedef struct xfer_wait {
  unsigned ch;
  uint64_t n;
} xfer_wait_t;

static int transfers_reached(sim_t *s, void *ctx) {
  const xfer_wait_t *w = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, w->ch, &st);
  return st.transfers >= w->n;
}

static void autoinit_reloads_and_runs_again(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  const unsigned chans[2] = {2, 6};
  enum { U = 5 };
  for (unsigned c = 0; c < 2; c++) {
    unsigned ch = chans[c], w = sd_width(ch);
    job_t j;
    memset(&j, 0, sizeof j);
    j.ch = ch;
    j.type = SD_READ;
    j.mode = SD_SINGLE;
    j.autoinit = 1;
    j.dec = (int)c;   /* the word channel counts down */
    j.units = U;
    j.addr = 0x4321;
    j.page = 0x33;
    job_prepare(t, s, &j, 400 + c);
    job_program(t, s, &j);
    /* the device takes two rounds, then drops DREQ */
    uint8_t sink[2 * U * 2];
    memset(sink, 0, sizeof sink);
    sim_dmadev_cfg_t dc;
    memset(&dc, 0, sizeof dc);
    dc.mode = SIM_DREQ_COUNT;
    dc.count = 2 * U;
    dc.sink = sink;
    dc.sink_len = 2u * U * w;
    REQUIRE_OK(t, sim_dmadev_config(s, ch, &dc));
    sd_unmask(t, s, ch);
    xfer_wait_t xw = {ch, 2 * U};
    REQUIRE_OK(t, sim_wait_until(s, transfers_reached, &xw, 20000));
    REQUIRE_OK(t, sim_step(s, 2000));
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, ch, &st);
    CHECK_EQ(t, st.transfers, 2 * U);
    CHECK_EQ(t, st.tc_count, 2);
    CHECK(t, memcmp(sink, j.mem, (size_t)U * w) == 0, "ch %u: first round", ch);
    CHECK(t, memcmp(sink + (size_t)U * w, j.mem, (size_t)U * w) == 0, "ch %u: second round", ch);
    /* current registers reloaded from base */
    CHECK_EQ(t, sd_cur_addr(t, s, ch), j.addr);
    CHECK_EQ(t, sd_cur_count(t, s, ch), U - 1);
    CHECK_EQ(t, sd_status(t, s, ch) & SYSDMA_DMA1_STATUS_TC_MASK, 1u << sd_sel(ch));
    /* the mask stayed clear: a new request runs a third round without reprogramming */
    memset(j.sink, 0, (size_t)U * w);
    job_arm(t, s, &j, SIM_DREQ_COUNT, U, 0);
    xw.n = U;
    REQUIRE_OK(t, sim_wait_until(s, transfers_reached, &xw, 20000));
    REQUIRE_OK(t, sim_step(s, 2000));
    sim_dmadev_stats(s, ch, &st);
    CHECK_EQ(t, st.transfers, U);
    CHECK_EQ(t, st.tc_count, 1);
    job_check_data(t, s, &j, U);
    REQUIRE_OK(t, sim_dmadev_stop(s, ch));
    sd_mask(t, s, ch);
    job_free(&j);
  }
}

/* ---- 64 KiB / 128 KiB wrap ------------------------------------------------------------ */

static void wrap_job(test_ctx_t *t, sim_t *s, unsigned ch, unsigned type, int dec,
                     uint16_t addr, uint8_t page, unsigned units, uint64_t stream) {
  job_t j;
  memset(&j, 0, sizeof j);
  j.ch = ch;
  j.type = type;
  j.mode = SD_BLOCK;
  j.dec = dec;
  j.units = units;
  j.addr = addr;
  j.page = page;
  job_prepare(t, s, &j, stream);
  /* the bytes where a carry into the page register would have put the wrapped units */
  unsigned w = sd_width(ch);
  uint64_t span = w == 1 ? 0x10000u : 0x20000u;
  uint64_t base = job_pa(&j, 0) & ~(span - 1);
  uint64_t wrong = dec ? base - span + (span - 2 * w) : base + span;
  uint8_t wrong0[8], back[8];
  sd_seed_mem(t, s, wrong, wrong0, 2 * w, stream * 1000 + 996);
  job_run(t, s, &j, BLOCK_DREQ);
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), wrong, back, 2 * w), 0);
  CHECK(t, memcmp(back, wrong0, 2 * w) == 0, "ch %u: the wrap carried into the page", ch);
  job_free(&j);
}

static void byte_channel_64k_wrap(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  /* incrementing: P:FFFC..FFFF then P:0000..0003 */
  wrap_job(t, s, 1, SD_WRITE, 0, 0xFFFC, 0x37, 8, 500);
  wrap_job(t, s, 3, SD_READ, 0, 0xFFFE, 0x52, 5, 501);
  /* decrementing: P:0002..0000 then P:FFFF..FFFB */
  wrap_job(t, s, 0, SD_WRITE, 1, 0x0002, 0x44, 8, 502);
}

static void word_channel_128k_wrap(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  /* A16-A1 from the controller, A23-A17 from page bits 7:1; page bit 0 is not an address bit
   * (an odd page would otherwise put the first words 64 KiB higher) */
  wrap_job(t, s, 5, SD_WRITE, 0, 0xFFFE, 0x25, 4, 510);   /* 0x25: A23-A17 = 0x12 */
  wrap_job(t, s, 6, SD_READ, 0, 0xFFFD, 0x40, 6, 511);
  wrap_job(t, s, 7, SD_WRITE, 1, 0x0001, 0x61, 5, 512);
}

/* ---- requests and masks --------------------------------------------------------------- */

static void software_request_block_mode(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  const unsigned chans[2] = {2, 6};
  const unsigned types[2] = {SD_READ, SD_WRITE};
  for (unsigned c = 0; c < 2; c++) {
    unsigned ch = chans[c];
    job_t j;
    memset(&j, 0, sizeof j);
    j.ch = ch;
    j.type = types[c];
    j.mode = SD_BLOCK;
    j.units = 20;
    j.addr = 0x1230;
    j.page = 0x0A;
    job_prepare(t, s, &j, 600 + c);
    job_program(t, s, &j);   /* left masked: software requests are not maskable */
    job_arm(t, s, &j, SIM_DREQ_OFF, 0, 0);   /* no DREQ; the device still answers DACK */
    sd_out(t, s, sd_ctrl[sd_ctl(ch)].request, sd_request_byte(ch, 1));
    sd_wait_tc(t, s, ch, 1, 20000);
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, ch, &st);
    CHECK_EQ(t, st.transfers, j.units);
    job_check_data(t, s, &j, j.units);
    /* the request bit was cleared at TC; the TC bit is set */
    uint8_t status = sd_status(t, s, ch);
    CHECK_EQ(t, status, 1u << sd_sel(ch));
    CHECK_EQ(t, sd_cur_count(t, s, ch), 0xFFFF);
    REQUIRE_OK(t, sim_step(s, 2000));
    sim_dmadev_stats(s, ch, &st);
    CHECK_EQ(t, st.transfers, j.units);   /* nothing more */
    REQUIRE_OK(t, sim_dmadev_stop(s, ch));
    job_free(&j);
  }
}

static void masked_channel_never_serviced(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  job_t m[2];
  const unsigned mch[2] = {2, 6};
  for (unsigned c = 0; c < 2; c++) {
    memset(&m[c], 0, sizeof m[c]);
    m[c].ch = mch[c];
    m[c].type = SD_WRITE;
    m[c].mode = SD_DEMAND;
    m[c].units = 16;
    m[c].addr = 0x0400;
    m[c].page = (uint8_t)(0x50 + 2 * c);
    job_prepare(t, s, &m[c], 700 + c);
    job_program(t, s, &m[c]);   /* masked */
    job_arm(t, s, &m[c], SIM_DREQ_ALWAYS, 0, 0);
  }
  /* meanwhile other channels on both controllers run to completion */
  const unsigned run[2] = {1, 7};
  for (unsigned c = 0; c < 2; c++) {
    job_t j;
    memset(&j, 0, sizeof j);
    j.ch = run[c];
    j.type = SD_READ;
    j.mode = SD_SINGLE;
    j.units = 16;
    j.addr = 0x0800;
    j.page = 0x60;
    job_prepare(t, s, &j, 710 + c);
    job_run(t, s, &j, SIM_DREQ_ALWAYS, 0);
    job_free(&j);
  }
  REQUIRE_OK(t, sim_step(s, 20000));
  for (unsigned c = 0; c < 2; c++) {
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, mch[c], &st);
    CHECK_EQ(t, st.first_dack_cycle, 0);
    CHECK_EQ(t, st.transfers, 0);
    job_check_data(t, s, &m[c], 0);
    CHECK_EQ(t, sd_cur_addr(t, s, mch[c]), m[c].addr);
    CHECK_EQ(t, sd_cur_count(t, s, mch[c]), m[c].units - 1);
    CHECK_EQ(t, sd_status(t, s, mch[c]) & SYSDMA_DMA1_STATUS_REQ_MASK, 1u << (4 + sd_sel(mch[c])));
    REQUIRE_OK(t, sim_dmadev_stop(s, mch[c]));
    job_free(&m[c]);
  }
}

static void demand_early_stop_residual(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  prng_t r;
  prng_seed(&r, test_seed(t), 800);
  const unsigned chans[2] = {3, 7};
  for (unsigned c = 0; c < 2; c++) {
    unsigned ch = chans[c];
    job_t j = job_random(&r, ch, SD_WRITE, SD_DEMAND, (int)c, 100);
    if (j.units < 4) {
      if (j.dec) j.addr = (uint16_t)(j.addr + 4 - j.units);
      j.units = 4;
    }
    unsigned stop = 1u + (unsigned)prng_below(&r, j.units - 2);
    test_log(t, "channel %u: %u transfers, the device stops after %u", ch, j.units, stop);
    job_prepare(t, s, &j, 800 + c);
    job_program(t, s, &j);
    job_arm(t, s, &j, SIM_DREQ_COUNT, stop, 0);
    sd_unmask(t, s, ch);
    xfer_wait_t xw = {ch, stop};
    REQUIRE_OK(t, sim_wait_until(s, transfers_reached, &xw, 20000u + 400u * stop));
    REQUIRE_OK(t, sim_step(s, 3000));
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, ch, &st);
    CHECK_EQ(t, st.transfers, stop);
    CHECK_EQ(t, st.tc_count, 0);
    /* residual: count = units - 1 - stop, address moved by stop; no TC */
    CHECK_EQ(t, sd_cur_count(t, s, ch), j.units - 1 - stop);
    CHECK_EQ(t, sd_cur_addr(t, s, ch), (uint16_t)(j.dec ? j.addr - stop : j.addr + stop));
    CHECK_EQ(t, sd_status(t, s, ch) & SYSDMA_DMA1_STATUS_TC_MASK, 0);
    /* the HAL's view agrees: bytes left and the next physical address */
    uint32_t left = 0, phys = 0;
    REQUIRE_EQ(t, i8237_residual(s, ch, &left), I8237_OK);
    CHECK_EQ(t, left, (j.units - stop) * sd_width(ch));
    REQUIRE_EQ(t, i8237_current_phys(s, ch, &phys), I8237_OK);
    CHECK_EQ(t, phys, job_pa(&j, stop));
    {
      /* exactly the first `stop` units landed */
      job_t part = j;
      job_check_data(t, s, &part, stop);
    }
    /* the device comes back with the rest: the transfer resumes where it stopped */
    sim_dmadev_cfg_t dc;
    memset(&dc, 0, sizeof dc);
    dc.mode = SIM_DREQ_ALWAYS;
    unsigned w = sd_width(ch);
    dc.src = j.src + (size_t)stop * w;
    dc.src_len = (size_t)(j.units - stop) * w;
    REQUIRE_OK(t, sim_dmadev_config(s, ch, &dc));
    sd_wait_tc(t, s, ch, 1, 20000u + 400u * j.units);
    REQUIRE_OK(t, sim_dmadev_stop(s, ch));
    sim_dmadev_stats(s, ch, &st);
    CHECK_EQ(t, st.transfers, j.units - stop);
    job_check_data(t, s, &j, j.units);
    CHECK_EQ(t, sd_cur_count(t, s, ch), 0xFFFF);
    CHECK_EQ(t, sd_status(t, s, ch) & SYSDMA_DMA1_STATUS_TC_MASK, 1u << sd_sel(ch));
    job_free(&j);
  }
}

static const test_def_t sysdma_xfer_tests[] = {
    {"single_write", single_write, TEST_F_RANDOM, 400000,
     "single mode, device -> memory, channels 0-3 and 5-7: seeded bytes land in memory"},
    {"single_read", single_read, TEST_F_RANDOM, 400000,
     "single mode, memory -> device, channels 0-3 and 5-7: the device gets the memory bytes"},
    {"single_verify", single_verify, TEST_F_RANDOM, 400000,
     "single mode verify, channels 0-3 and 5-7: DACK and counts run, no data and no AXI access"},
    {"demand_write", demand_write, TEST_F_RANDOM, 400000,
     "demand mode, device -> memory, all data channels"},
    {"demand_read", demand_read, TEST_F_RANDOM, 400000,
     "demand mode, memory -> device, all data channels"},
    {"demand_verify", demand_verify, TEST_F_RANDOM, 400000,
     "demand mode verify, all data channels"},
    {"block_write", block_write, TEST_F_RANDOM, 400000,
     "block mode, device -> memory, DREQ held only until DACK, all data channels"},
    {"block_read", block_read, TEST_F_RANDOM, 400000,
     "block mode, memory -> device, DREQ held only until DACK, all data channels"},
    {"block_verify", block_verify, TEST_F_RANDOM, 400000,
     "block mode verify, all data channels"},
    {"decrement_write", decrement_write, TEST_F_RANDOM, 400000,
     "address decrement, demand mode device -> memory: unit i lands at address - i"},
    {"decrement_read", decrement_read, TEST_F_RANDOM, 400000,
     "address decrement, block mode memory -> device"},
    {"count_plus_one_transfers", count_plus_one_transfers, 0, 200000,
     "a count register of N moves N+1 units (bytes on channel 1, words on channel 7), 0 moves one"},
    {"tc_status_eop_once", tc_status_eop_once, 0, 200000,
     "terminal count: EOP out once during the last transfer, status TC bit, soc_ctrl TC event; bystanders see none"},
    {"autoinit_reloads_and_runs_again", autoinit_reloads_and_runs_again, 0, 200000,
     "autoinitialize (incrementing byte channel, decrementing word channel): current address/count reload from base at TC, the mask stays clear, later requests run again"},
    {"byte_channel_64k_wrap", byte_channel_64k_wrap, 0, 200000,
     "byte channel address wraps within its 64 KiB page (both directions); the page register does not increment"},
    {"word_channel_128k_wrap", word_channel_128k_wrap, 0, 200000,
     "word channel: A16-A1 from the controller wrap within 128 KiB, A23-A17 from page bits 7:1"},
    {"software_request_block_mode", software_request_block_mode, 0, 200000,
     "a software request runs a masked block-mode channel to TC without DREQ and is cleared at TC"},
    {"masked_channel_never_serviced", masked_channel_never_serviced, 0, 300000,
     "a masked channel with DREQ active is never acknowledged while other channels run"},
    {"demand_early_stop_residual", demand_early_stop_residual, TEST_F_RANDOM, 300000,
     "demand mode stopped early by the device: residual count, current address, no TC; resumes to TC"},
};
TEST_SUITE(sysdma_xfer);
