/* ISA-style DMA devices on soc_top's DREQ/DACK pins, one per channel (0-3 byte, 5-7 word;
 * channel 4 is the internal cascade). Each cycle (step 1 of the per-cycle order) a device
 * looks at the outputs after the previous edge and drives its inputs for the next one:
 *
 *  - DREQ follows the configured mode, at the configured pin sense;
 *  - while its DACK and IOR are active it drives its next source unit on dma_data_i
 *    (device -> memory); the unit counts as transferred at the end of the IOR strobe;
 *  - while its DACK and IOW are active it latches dma_data_o and stores the unit into its
 *    sink at the end of the strobe (IOW rising, or DACK dropping first) (memory -> device);
 *  - a DACK period with no strobe at all is a verify transfer: it counts as a transfer (and
 *    is logged when DACK drops) and also in a separate verify count;
 *  - dma_tc_o while its DACK is active is a terminal count seen by the device;
 *  - EOP is driven during transfer number eop_after, while DACK is active.
 * The cycle of an observation is the edge after which the output had that value. */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

static int dev_channel_ok(unsigned ch) { return ch < 8 && ch != 4; }

void dmadev_init(sim_t *s) {
  for (unsigned ch = 0; ch < 8; ch++) {
    dmadev_t *d = &s->dev[ch];
    memset(d, 0, sizeof *d);
    d->width = ch < 4 ? 1 : 2;
    prng_seed(&d->rng, s->cfg.seed, SIM_STREAM_DMADEV + ch);
  }
  dmadev_reset_pins(s);
}

void dmadev_free(sim_t *s) {
  for (unsigned ch = 0; ch < 8; ch++) {
    free(s->dev[ch].log);
    s->dev[ch].log = NULL;
    free(s->dev[ch].slog);
    s->dev[ch].slog = NULL;
  }
}

static inline uint8_t dreq_level(const dmadev_t *d, int on) {
  return (uint8_t)((on != 0) != (d->configured && d->cfg.dreq_active_low));
}

/* every DREQ inactive (at each device's sense), no EOP, no data; history forgotten */
void dmadev_reset_pins(sim_t *s) {
  uint8_t dreq = 0;
  for (unsigned ch = 0; ch < 8; ch++) {
    dmadev_t *d = &s->dev[ch];
    dreq |= (uint8_t)(dreq_level(d, 0) << ch);
    d->prev_dack = d->prev_ior = d->prev_iow = d->prev_tc = 0;
    d->dreq_on = 0;
    d->eop_driven = 0;
    d->pulse_state = 0;
    s->pins.dma_data_i[ch] = 0;
  }
  s->pins.dma_dreq_i = dreq;
  s->pins.dma_eop_i = 0;
}

static void log_cycle(uint64_t **log, size_t *n, size_t *cap, uint64_t cycle) {
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 256;
    uint64_t *p = realloc(*log, c * sizeof *p);
    if (!p) return;  /* the logs are best effort; the counters stay exact */
    *log = p;
    *cap = c;
  }
  (*log)[(*n)++] = cycle;
}

static void log_transfer(dmadev_t *d, uint64_t cycle) {
  log_cycle(&d->log, &d->log_n, &d->log_cap, cycle);
}

static void end_of_strobe(sim_t *s, unsigned ch, dmadev_t *d, int was_write) {
  uint64_t now = s->cycle;
  d->stats.transfers++;
  d->ep_strobes++;
  log_transfer(d, now);
  if (was_write) {
    /* memory -> device: store what was on dma_data_o */
    if (d->cfg.sink) {
      if (d->sink_pos + d->width <= d->cfg.sink_len) {
        d->cfg.sink[d->sink_pos] = (uint8_t)d->iow_data;
        if (d->width == 2) d->cfg.sink[d->sink_pos + 1] = (uint8_t)(d->iow_data >> 8);
      } else if (!d->overrun_reported) {
        d->overrun_reported = 1;
        sim_error(s, "dmadev ch %u: the controller wrote past the sink (%zu bytes)", ch,
                  d->cfg.sink_len);
      }
    }
    d->sink_pos += d->width;
    d->stats.bytes_out += d->width;
  } else {
    if (d->cfg.src && d->src_pos + d->width > d->cfg.src_len && !d->overrun_reported) {
      d->overrun_reported = 1;
      sim_error(s, "dmadev ch %u: the controller read past the source (%zu bytes)", ch,
                d->cfg.src_len);
    }
    d->src_pos += d->width;
    d->stats.bytes_in += d->width;
  }
}

static uint16_t src_unit(const dmadev_t *d) {
  if (!d->cfg.src) return 0;
  uint16_t v = 0;
  if (d->src_pos < d->cfg.src_len) v = d->cfg.src[d->src_pos];
  if (d->width == 2 && d->src_pos + 1 < d->cfg.src_len)
    v |= (uint16_t)(d->cfg.src[d->src_pos + 1] << 8);
  return v;
}

void dmadev_cycle(sim_t *s) {
  soc_pins_t *p = &s->pins;
  uint8_t active = s->dev_active;
  while (active) {
    unsigned ch = (unsigned)__builtin_ctz(active);
    active &= (uint8_t)(active - 1);
    dmadev_t *d = &s->dev[ch];

    /* ---- observe the outputs after the last edge ---- */
    uint8_t dack = (uint8_t)(((p->dma_dack_o >> ch) & 1u) == (d->cfg.dack_active_high ? 1u : 0u));
    uint8_t ior = (uint8_t)(dack && !p->dma_ior_no);
    uint8_t iow = (uint8_t)(dack && !p->dma_iow_no);
    uint8_t tc = (uint8_t)(dack && p->dma_tc_o);

    if (dack && !d->prev_dack) {
      d->ep_strobes = 0;
      if (!d->stats.first_dack_cycle) d->stats.first_dack_cycle = s->cycle;
    }
    if (dack) d->stats.last_dack_cycle = s->cycle;
    if ((ior && !d->prev_ior) || (iow && !d->prev_iow))
      log_cycle(&d->slog, &d->slog_n, &d->slog_cap, s->cycle);
    if (iow) d->iow_data = p->dma_data_o;
    if (d->prev_iow && !iow) end_of_strobe(s, ch, d, 1);
    if (d->prev_ior && !ior) end_of_strobe(s, ch, d, 0);
    if (tc && !d->prev_tc) {
      d->stats.tc_count++;
      d->stats.tc_cycle = s->cycle;
    }
    if (d->prev_dack && !dack) {
      if (d->ep_strobes == 0) {
        /* a DACK'd transfer without a strobe: a verify transfer */
        d->verify++;
        d->stats.transfers++;
        log_transfer(d, s->cycle);
      }
      if (d->eop_driven) d->eop_driven = 0;
    }
    d->prev_dack = dack;
    d->prev_ior = ior;
    d->prev_iow = iow;
    d->prev_tc = tc;

    /* ---- drive the inputs for the next edge ---- */
    int on = 0;
    if (d->armed) {
      switch (d->cfg.mode) {
        case SIM_DREQ_ALWAYS:
          on = 1;
          break;
        case SIM_DREQ_PULSE:
          if (d->pulse_state == 0) {
            on = !dack;
            if (dack) d->pulse_state = 1;
          } else if (d->pulse_state == 1) {
            if (!dack) {
              d->pulse_state = 2;
              d->gap_left = d->cfg.gap;
            }
          }
          if (d->pulse_state == 2) {
            if (d->gap_left == 0) {
              d->pulse_state = 0;
              on = 1;
            } else {
              d->gap_left--;
            }
          }
          break;
        case SIM_DREQ_RANDOM:
          /* a request, once made, is held until DACK answers it */
          if (d->dreq_on && !dack) on = 1;
          else on = prng_below(&d->rng, 100) < d->cfg.gap;
          break;
        case SIM_DREQ_COUNT:
          /* the item under a strobe is already being moved: a demand-mode device drops
           * DREQ during its last transfer, before the controller samples it in S4 */
          on = d->stats.transfers + (uint64_t)(ior || iow) < d->cfg.count;
          break;
        case SIM_DREQ_OFF:
        default:
          on = 0;
          break;
      }
    }
    d->dreq_on = (uint8_t)on;
    uint8_t bit = (uint8_t)(1u << ch);
    p->dma_dreq_i = (uint8_t)((p->dma_dreq_i & ~bit) | (dreq_level(d, on) ? bit : 0));

    p->dma_data_i[ch] = ior ? src_unit(d) : 0;

    int eop = d->armed && dack && d->cfg.eop_after &&
              d->stats.transfers + 1 == d->cfg.eop_after;
    if (eop && !d->eop_driven) {
      d->eop_driven = 1;
      d->stats.eop_cycle = s->cycle + 1;
    }
    p->dma_eop_i = (uint8_t)((p->dma_eop_i & ~bit) | (eop ? bit : 0));
  }
}

int sim_dmadev_config(sim_t *s, unsigned ch, const sim_dmadev_cfg_t *cfg) {
  if (!s || !cfg || !dev_channel_ok(ch)) return SIM_E_ARG;
  if ((unsigned)cfg->mode > SIM_DREQ_COUNT) return SIM_E_ARG;
  if ((cfg->src_len && !cfg->src) || (cfg->sink_len && !cfg->sink)) return SIM_E_ARG;
  dmadev_t *d = &s->dev[ch];
  d->cfg = *cfg;
  d->configured = 1;
  d->armed = cfg->mode != SIM_DREQ_OFF;
  memset(&d->stats, 0, sizeof d->stats);
  d->src_pos = d->sink_pos = 0;
  d->verify = 0;
  d->overrun_reported = 0;
  d->log_n = 0;
  d->slog_n = 0;
  d->pulse_state = 0;
  d->gap_left = 0;
  d->eop_driven = 0;
  d->dreq_on = 0;
  /* keep the DACK/strobe history: a strobe under way still ends properly */
  s->dev_active |= (uint8_t)(1u << ch);
  uint8_t bit = (uint8_t)(1u << ch);
  s->pins.dma_dreq_i = (uint8_t)((s->pins.dma_dreq_i & ~bit) | (dreq_level(d, 0) ? bit : 0));
  return SIM_OK;
}

int sim_dmadev_stop(sim_t *s, unsigned ch) {
  if (!s || !dev_channel_ok(ch)) return SIM_E_ARG;
  dmadev_t *d = &s->dev[ch];
  d->armed = 0;
  d->dreq_on = 0;
  uint8_t bit = (uint8_t)(1u << ch);
  s->pins.dma_dreq_i = (uint8_t)((s->pins.dma_dreq_i & ~bit) | (dreq_level(d, 0) ? bit : 0));
  s->pins.dma_eop_i &= (uint8_t)~bit;
  return SIM_OK;
}

void sim_dmadev_stats(const sim_t *s, unsigned ch, sim_dmadev_stats_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (s && dev_channel_ok(ch)) *out = s->dev[ch].stats;
}

size_t sim_dmadev_transfer_cycles(const sim_t *s, unsigned ch, uint64_t *out, size_t max) {
  if (!s || !dev_channel_ok(ch)) return 0;
  const dmadev_t *d = &s->dev[ch];
  size_t n = d->log_n < max ? d->log_n : max;
  if (out && n) memcpy(out, d->log, n * sizeof *out);
  return out ? n : d->log_n;
}

size_t sim_dmadev_strobe_cycles(const sim_t *s, unsigned ch, uint64_t *out, size_t max) {
  if (!s || !dev_channel_ok(ch)) return 0;
  const dmadev_t *d = &s->dev[ch];
  size_t n = d->slog_n < max ? d->slog_n : max;
  if (out && n) memcpy(out, d->slog, n * sizeof *out);
  return out ? n : d->slog_n;
}

uint64_t sim_dmadev_verify_count(const sim_t *s, unsigned ch) {
  return (s && dev_channel_ok(ch)) ? s->dev[ch].verify : 0;
}

int sim_dmadev_armed(const sim_t *s, unsigned ch) {
  return (s && dev_channel_ok(ch)) ? s->dev[ch].armed : 0;
}
