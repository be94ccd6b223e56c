/* hbastack's inside: the state shared by the neutral part (hbastack.c) and the two path
 * back ends (hbastack_sub.c: SCSI Port + hbasub; hbastack_bm.c: Storport + hbabm), which live
 * in separate translation units because srb.h and storport.h cannot meet in one. */
#ifndef HBASIM_HBASTACK_IMPL_H
#define HBASIM_HBASTACK_IMPL_H

#include "hbastack.h"

#define HBASTACK_ARG_MAX 256u

typedef struct hbastack_backend {
  /* the port system on k->hal, the miniport's DriverEntry, k->port and k->pif set; 0, or -1
   * with the reason in err (k->sys may be set: destroy cleans up) */
  int (*create)(hbastack_t *k, char *err, size_t errlen);
  void (*destroy)(hbastack_t *k);
  void (*stats)(const hbastack_t *k, hbastack_stats_t *out);
  size_t (*isr_latencies)(const hbastack_t *k, uint64_t *out, size_t max);
  void *(*device_extension)(const hbastack_t *k);
  hal_vf_t *(*verifier)(const hbastack_t *k);
} hbastack_backend_t;

struct hbastack {
  sim_t *s;
  hbastack_config_t cfg;
  disk_class_config_t cls_cfg;
  int cls_set;
  char arg[HBASTACK_ARG_MAX];     /* the copied ArgumentString ("" = none) */
  hal_machine_t *hal;
  void *sys;                      /* sp_system_t * or stp_system_t * */
  void *port;                     /* sp_port_t * or stp_port_t * */
  uint32_t hba_base;
  port_if_t pif;
  disk_class_t *cls;
  const hbastack_backend_t *be;
  char layers[160];
};

extern const hbastack_backend_t hbastack_sub_backend;
extern const hbastack_backend_t hbastack_bm_backend;

#endif
