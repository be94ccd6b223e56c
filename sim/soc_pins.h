/* The pins of soc_top (docs/contracts.md section 2) as a plain C struct: one field per port.
 *
 * The harness writes the inputs, sim/model.cpp copies them into the Verilated model, evaluates
 * it and copies the outputs back. Every bus functional model (APB master, AXI memory slave,
 * DMA devices, checkers) works on this struct only; no Verilator type is visible to C. */
#ifndef HBASIM_SOC_PINS_H
#define HBASIM_SOC_PINS_H

#include <stdint.h>

typedef struct soc_pins {
  /* ---- inputs (driven by the harness) ---- */
  uint8_t  clk_i;
  uint8_t  rst_ni;
  /* APB4 slave */
  uint8_t  apb_psel_i;
  uint8_t  apb_penable_i;
  uint8_t  apb_pwrite_i;
  uint32_t apb_paddr_i;
  uint8_t  apb_pprot_i;      /* [2:0] */
  uint32_t apb_pwdata_i;
  uint8_t  apb_pstrb_i;      /* [3:0] */
  /* AXI4 master: the slave side's inputs */
  uint8_t  axi_awready_i;
  uint8_t  axi_wready_i;
  uint8_t  axi_bid_i;        /* [3:0] */
  uint8_t  axi_bresp_i;      /* [1:0] */
  uint8_t  axi_bvalid_i;
  uint8_t  axi_arready_i;
  uint8_t  axi_rid_i;        /* [3:0] */
  uint32_t axi_rdata_i;
  uint8_t  axi_rresp_i;      /* [1:0] */
  uint8_t  axi_rlast_i;
  uint8_t  axi_rvalid_i;
  /* ISA-style DMA device side */
  uint8_t  dma_dreq_i;       /* [7:0] raw pin levels */
  uint8_t  dma_eop_i;        /* [7:0] */
  uint16_t dma_data_i[8];    /* dma_data_i[16n+15:16n] = dma_data_i[n] */
  /* parallel SCSI bus (contracts.md 11.1/11.2): 18-bit assertion masks, 1 = asserted */
  uint32_t scsi_tgt_i;       /* [17:0] OR of every target model's contribution */

  /* ---- outputs (copied back after every evaluation) ---- */
  uint32_t apb_prdata_o;
  uint8_t  apb_pready_o;
  uint8_t  apb_pslverr_o;
  uint8_t  axi_awid_o;
  uint32_t axi_awaddr_o;
  uint8_t  axi_awlen_o;
  uint8_t  axi_awsize_o;
  uint8_t  axi_awburst_o;
  uint8_t  axi_awvalid_o;
  uint32_t axi_wdata_o;
  uint8_t  axi_wstrb_o;
  uint8_t  axi_wlast_o;
  uint8_t  axi_wvalid_o;
  uint8_t  axi_bready_o;
  uint8_t  axi_arid_o;
  uint32_t axi_araddr_o;
  uint8_t  axi_arlen_o;
  uint8_t  axi_arsize_o;
  uint8_t  axi_arburst_o;
  uint8_t  axi_arvalid_o;
  uint8_t  axi_rready_o;
  uint8_t  irq_o;            /* [7:0] */
  uint8_t  dma_dack_o;       /* [7:0] raw pin levels */
  uint8_t  dma_tc_o;
  uint8_t  dma_ior_no;
  uint8_t  dma_iow_no;
  uint16_t dma_data_o;
  uint32_t scsi_hba_o;       /* [17:0] the HBA's contribution */
  uint32_t scsi_bus_o;       /* [17:0] the resolved bus, scsi_hba_o | scsi_tgt_i */
} soc_pins_t;

#endif
