/* hbastack: the path-neutral part (hbastack.h). */
#include "hbastack_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hbastack_config_default(hbastack_config_t *cfg, hbastack_path_t path) {
  memset(cfg, 0, sizeof *cfg);
  cfg->path = path;
  hal_machine_config_default(&cfg->hal);
  if (path == HBASTACK_BUS_MASTER) cfg->hal.map_register_pages = HBASTACK_BM_MAP_PAGES;
}

const char *hbastack_path_name(hbastack_path_t path) {
  switch (path) {
  case HBASTACK_SUBORDINATE: return "subordinate";
  case HBASTACK_BUS_MASTER: return "bus-master";
  default: return "?";
  }
}

hbastack_t *hbastack_create(sim_t *s, const hbastack_config_t *cfg, char *err, size_t errlen) {
  char dummy[8];
  if (!err || !errlen) {
    err = dummy;
    errlen = sizeof dummy;
  }
  err[0] = '\0';
  if (!s || !cfg) {
    snprintf(err, errlen, "hbastack_create: %s is NULL", !s ? "sim" : "cfg");
    return NULL;
  }
  if (cfg->path != HBASTACK_SUBORDINATE && cfg->path != HBASTACK_BUS_MASTER) {
    snprintf(err, errlen, "hbastack_create: unknown path %d", (int)cfg->path);
    return NULL;
  }
  if (cfg->argument_string && strlen(cfg->argument_string) >= HBASTACK_ARG_MAX) {
    snprintf(err, errlen, "hbastack_create: ArgumentString longer than %u bytes",
             HBASTACK_ARG_MAX - 1u);
    return NULL;
  }
  hbastack_t *k = calloc(1, sizeof *k);
  if (!k) {
    snprintf(err, errlen, "hbastack_create: out of memory");
    return NULL;
  }
  k->s = s;
  k->cfg = *cfg;
  if (cfg->argument_string) snprintf(k->arg, sizeof k->arg, "%s", cfg->argument_string);
  k->cfg.argument_string = NULL;   /* the copy in k->arg is what the back ends pass on */
  if (cfg->cls) {
    k->cls_cfg = *cfg->cls;
    k->cls_set = 1;
  }
  k->cfg.cls = NULL;
  k->be = cfg->path == HBASTACK_BUS_MASTER ? &hbastack_bm_backend : &hbastack_sub_backend;
  k->hal = hal_machine_create(s, &k->cfg.hal);
  if (!k->hal) {
    snprintf(err, errlen, "hal_machine_create failed (see stderr)");
    hbastack_destroy(k);
    return NULL;
  }
  if (k->be->create(k, err, errlen) != 0) {
    hbastack_destroy(k);
    return NULL;
  }
  k->cls = disk_class_create(s, &k->pif, k->cls_set ? &k->cls_cfg : NULL);
  if (!k->cls) {
    snprintf(err, errlen, "disk_class_create failed (see stderr)");
    hbastack_destroy(k);
    return NULL;
  }
  return k;
}

void hbastack_destroy(hbastack_t *k) {
  if (!k) return;
  disk_class_destroy(k->cls);
  if (k->sys) k->be->destroy(k);
  hal_machine_destroy(k->hal);
  free(k);
}

disk_class_t *hbastack_class(const hbastack_t *k) { return k ? k->cls : NULL; }
hbastack_path_t hbastack_path(const hbastack_t *k) {
  return k ? k->cfg.path : HBASTACK_SUBORDINATE;
}
sim_t *hbastack_sim(const hbastack_t *k) { return k ? k->s : NULL; }
hal_machine_t *hbastack_hal(const hbastack_t *k) { return k ? k->hal : NULL; }
const char *hbastack_layers(const hbastack_t *k) { return k ? k->layers : ""; }
const port_if_t *hbastack_port_if(const hbastack_t *k) { return k ? &k->pif : NULL; }
int hbastack_capabilities(const hbastack_t *k, IO_SCSI_CAPABILITIES *out) {
  if (!k || !out) return -1;
  return k->pif.capabilities(k->pif.port, out);
}
uint32_t hbastack_hba_base(const hbastack_t *k) { return k ? k->hba_base : 0; }
void *hbastack_port(const hbastack_t *k) { return k ? k->port : NULL; }
void *hbastack_device_extension(const hbastack_t *k) {
  return k && k->port ? k->be->device_extension(k) : NULL;
}
hal_vf_t *hbastack_verifier(const hbastack_t *k) {
  return k && k->sys ? k->be->verifier(k) : NULL;
}

void hbastack_stats(const hbastack_t *k, hbastack_stats_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (k && k->port) k->be->stats(k, out);
}

size_t hbastack_isr_latencies(const hbastack_t *k, uint64_t *out, size_t max) {
  return k && k->port ? k->be->isr_latencies(k, out, max) : 0;
}
