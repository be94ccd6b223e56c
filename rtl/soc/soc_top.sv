// soc_top: the simulated SoC. APB4 slave (the CPU's register bus) decoded to the blocks'
// register ports, the system DMA controller with its AXI4 master and ISA-style device pins,
// soc_ctrl, the SCSI host bus adapter (rtl/hba/) with its SCSI pins, and the interrupt lines.
// With HbaAxiArb (the default), sysdma (AXI ID 0) and the HBA's scatter/gather engine (ID 1)
// share the AXI port through axi_arb, which adds no cycle of latency, so sysdma's timing is the
// same as alone on the port. With HbaAxiArb = 0 sysdma owns the AXI port alone and the HBA's
// bus-master engine sees a memory that never answers (its commands end by the watchdog).
// Ports: docs/contracts.md sections 2 and 11.2; address map and APB timing: section 3 and
// docs/soc.md.
//
// APB timing. Every access takes exactly one wait state:
//   cycle 1 (setup)      PSEL, !PENABLE
//   cycle 2 (access 1)   PSEL, PENABLE, PREADY=0: the decode sends a one-cycle request to the
//                        block owning the address (or notes a decode error)
//   cycle 3 (access 2)   PREADY=1 with the block's registered PRDATA/PSLVERR
// The request goes out in the first access cycle only (psel & penable & !pready), so a
// transfer the master abandons (PSEL dropped) leaves nothing pending: the block answers once,
// in the next cycle, and the answer is simply not taken.
module soc_top #(
  parameter int HbaDmaChan = 5,     // sysdma channel of the HBA's subordinate data mover
  parameter bit HbaAxiArb  = 1'b1   // 1: sysdma and the HBA share the AXI port (axi_arb)
) (
  input  logic         clk_i,
  input  logic         rst_ni,

  // APB4 slave
  input  logic         apb_psel_i,
  input  logic         apb_penable_i,
  input  logic         apb_pwrite_i,
  input  logic [31:0]  apb_paddr_i,
  input  logic [2:0]   apb_pprot_i,
  input  logic [31:0]  apb_pwdata_i,
  input  logic [3:0]   apb_pstrb_i,
  output logic [31:0]  apb_prdata_o,
  output logic         apb_pready_o,
  output logic         apb_pslverr_o,

  // AXI4 master (ID 4, ADDR 32, DATA 32)
  output logic [3:0]   axi_awid_o,
  output logic [31:0]  axi_awaddr_o,
  output logic [7:0]   axi_awlen_o,
  output logic [2:0]   axi_awsize_o,
  output logic [1:0]   axi_awburst_o,
  output logic         axi_awvalid_o,
  input  logic         axi_awready_i,
  output logic [31:0]  axi_wdata_o,
  output logic [3:0]   axi_wstrb_o,
  output logic         axi_wlast_o,
  output logic         axi_wvalid_o,
  input  logic         axi_wready_i,
  input  logic [3:0]   axi_bid_i,
  input  logic [1:0]   axi_bresp_i,
  input  logic         axi_bvalid_i,
  output logic         axi_bready_o,
  output logic [3:0]   axi_arid_o,
  output logic [31:0]  axi_araddr_o,
  output logic [7:0]   axi_arlen_o,
  output logic [2:0]   axi_arsize_o,
  output logic [1:0]   axi_arburst_o,
  output logic         axi_arvalid_o,
  input  logic         axi_arready_i,
  input  logic [3:0]   axi_rid_i,
  input  logic [31:0]  axi_rdata_i,
  input  logic [1:0]   axi_rresp_i,
  input  logic         axi_rlast_i,
  input  logic         axi_rvalid_i,
  output logic         axi_rready_o,

  // interrupts, level, active high: [0] soc_ctrl, [1] HBA, others 0
  output logic [7:0]   irq_o,

  // parallel SCSI bus (contracts.md 11.1/11.2), 1 = asserted
  output logic [17:0]  scsi_hba_o,     // the HBA's contribution, registered
  input  logic [17:0]  scsi_tgt_i,     // OR of every target model's contribution
  output logic [17:0]  scsi_bus_o,     // the resolved bus


  // ISA-style DMA device side, channels 0-7 (channel 4 is the internal cascade)
  input  logic [7:0]   dma_dreq_i,
  output logic [7:0]   dma_dack_o,
  input  logic [7:0]   dma_eop_i,
  output logic         dma_tc_o,
  output logic         dma_ior_no,
  output logic         dma_iow_no,
  output logic [15:0]  dma_data_o,
  input  logic [127:0] dma_data_i
);

  // ---------------------------------------------------------------------------------------
  // APB address map (contracts.md section 3). Adding a block = one enum value, one decode
  // case, one request and one response case.

  localparam logic [31:0] SocCtrlBase = soc_ctrl_reg_pkg::SOC_CTRL_BASE;
  localparam logic [31:0] HbaBase     = hba_reg_pkg::HBA_BASE;

  typedef enum logic [1:0] {
    TgtError,     // decode error: PSLVERR, no block sees the access
    TgtIo,        // PC I/O port window -> sysdma
    TgtSocCtrl,   // soc_ctrl registers
    TgtHba        // HBA registers
  } apb_target_e;

  apb_target_e target;
  logic        access_start;   // first access-phase cycle: the one cycle a request goes out

  assign access_start = apb_psel_i && apb_penable_i && !apb_pready_o;

  always_comb begin
    target = TgtError;
    if (apb_paddr_i[31:18] == 14'b0) begin
      // I/O window 0x0000_0000-0x0003_FFFF: port p is the word at 4*p, data in byte lane 0.
      // A write that does not write lane 0 carries no port data: refused.
      if (apb_pwrite_i && !apb_pstrb_i[0]) target = TgtError;
      else                                 target = TgtIo;
    end else if (apb_paddr_i[31:12] == SocCtrlBase[31:12]) begin
      target = TgtSocCtrl;
    end else if (apb_paddr_i[31:12] == HbaBase[31:12]) begin
      target = TgtHba;
    end
  end

  // ---------------------------------------------------------------------------------------
  // Block register ports

  logic        io_req, ctrl_req, hba_req;
  logic [7:0]  io_rdata;
  logic        io_err;
  logic [31:0] ctrl_rdata, hba_rdata;
  logic        ctrl_err, hba_err;

  assign io_req   = access_start && target == TgtIo;
  assign ctrl_req = access_start && target == TgtSocCtrl;
  assign hba_req  = access_start && target == TgtHba;

  // ---------------------------------------------------------------------------------------
  // APB response: registered handshake, the selected block's registered data

  apb_target_e resp_tgt_q;
  logic        pready_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pready_q   <= 1'b0;
      resp_tgt_q <= TgtError;
    end else begin
      pready_q <= access_start;
      if (access_start) resp_tgt_q <= target;
    end
  end

  always_comb begin
    apb_prdata_o  = '0;
    apb_pslverr_o = 1'b0;
    if (pready_q) begin
      unique case (resp_tgt_q)
        // An error response carries PRDATA 0 whatever the block drove (APB leaves it open;
        // a fixed value keeps failing reads reproducible in the logs).
        TgtIo: begin
          apb_prdata_o  = io_err ? 32'h0 : {24'b0, io_rdata};
          apb_pslverr_o = io_err;
        end
        TgtSocCtrl: begin
          apb_prdata_o  = ctrl_err ? 32'h0 : ctrl_rdata;
          apb_pslverr_o = ctrl_err;
        end
        TgtHba: begin
          apb_prdata_o  = hba_err ? 32'h0 : hba_rdata;
          apb_pslverr_o = hba_err;
        end
        default: begin
          apb_prdata_o  = '0;
          apb_pslverr_o = 1'b1;
        end
      endcase
    end
  end

  assign apb_pready_o = pready_q;

  // PPROT carries no meaning here: every access is allowed.
  logic unused_pprot;
  assign unused_pprot = ^apb_pprot_i;

  // ---------------------------------------------------------------------------------------
  // Blocks

  logic       dma_ce;
  logic [7:0] hold_delay;
  // nets (not variables): the soc_ctrl testbench forces these two to plant events
  wire  [7:0] tc_event;
  wire        axi_err;
  logic       ctrl_irq;

  soc_ctrl u_soc_ctrl (
    .clk_i,
    .rst_ni,
    .reg_req_i    (ctrl_req),
    .reg_we_i     (apb_pwrite_i),
    .reg_addr_i   (apb_paddr_i[11:0]),
    .reg_wdata_i  (apb_pwdata_i),
    .reg_wstrb_i  (apb_pstrb_i),
    .reg_rdata_o  (ctrl_rdata),
    .reg_err_o    (ctrl_err),
    .dma_ce_o     (dma_ce),
    .hold_delay_o (hold_delay),
    .tc_event_i   (tc_event),
    .axi_err_i    (axi_err),
    .irq_o        (ctrl_irq)
  );

  // ---- the HBA's subordinate DMA on sysdma channel HbaDmaChan (contracts.md 11.2): sysdma
  // sees the OR of the pin and the HBA's DREQ; DACK, TC and the strobes go to both; the
  // channel's device data comes from the HBA while its subordinate mover is enabled.
  logic         hba_dreq, hba_dma_sel, hba_irq;
  logic [15:0]  hba_dma_data;
  logic [7:0]   sd_dreq;
  logic [127:0] sd_data_i;
  logic [7:0]   sd_dack;
  logic         sd_tc, sd_ior_n, sd_iow_n;
  logic [15:0]  sd_data_o;

  always_comb begin
    sd_dreq   = dma_dreq_i;
    sd_dreq[HbaDmaChan] = dma_dreq_i[HbaDmaChan] | hba_dreq;
    sd_data_i = dma_data_i;
    if (hba_dma_sel) sd_data_i[16*HbaDmaChan +: 16] = hba_dma_data;
  end

  assign dma_dack_o = sd_dack;
  assign dma_tc_o   = sd_tc;
  assign dma_ior_no = sd_ior_n;
  assign dma_iow_no = sd_iow_n;
  assign dma_data_o = sd_data_o;

  // ---- AXI: sysdma on s0 (ID 0), the HBA's scatter/gather engine on s1 (ID 1)
  logic [3:0]  s0_awid, s0_arid, s0_bid, s0_rid, s1_awid, s1_arid, s1_bid, s1_rid;
  logic [31:0] s0_awaddr, s0_araddr, s0_wdata, s0_rdata, s1_awaddr, s1_araddr, s1_wdata;
  logic [31:0] s1_rdata;
  logic [7:0]  s0_awlen, s0_arlen, s1_awlen, s1_arlen;
  logic [2:0]  s0_awsize, s0_arsize, s1_awsize, s1_arsize;
  logic [1:0]  s0_awburst, s0_arburst, s0_bresp, s0_rresp, s1_awburst, s1_arburst, s1_bresp;
  logic [1:0]  s1_rresp;
  logic [3:0]  s0_wstrb, s1_wstrb;
  logic        s0_awvalid, s0_awready, s0_wlast, s0_wvalid, s0_wready, s0_bvalid, s0_bready;
  logic        s0_arvalid, s0_arready, s0_rlast, s0_rvalid, s0_rready;
  logic        s1_awvalid, s1_awready, s1_wlast, s1_wvalid, s1_wready, s1_bvalid, s1_bready;
  logic        s1_arvalid, s1_arready, s1_rlast, s1_rvalid, s1_rready;

  sysdma u_sysdma (
    .clk_i,
    .rst_ni,
    .dma_ce_i      (dma_ce),
    .hold_delay_i  (hold_delay),
    .reg_req_i     (io_req),
    .reg_we_i      (apb_pwrite_i),
    .reg_port_i    (apb_paddr_i[17:2]),
    .reg_wdata_i   (apb_pwdata_i[7:0]),
    .reg_rdata_o   (io_rdata),
    .reg_err_o     (io_err),
    .axi_awid_o    (s0_awid),
    .axi_awaddr_o  (s0_awaddr),
    .axi_awlen_o   (s0_awlen),
    .axi_awsize_o  (s0_awsize),
    .axi_awburst_o (s0_awburst),
    .axi_awvalid_o (s0_awvalid),
    .axi_awready_i (s0_awready),
    .axi_wdata_o   (s0_wdata),
    .axi_wstrb_o   (s0_wstrb),
    .axi_wlast_o   (s0_wlast),
    .axi_wvalid_o  (s0_wvalid),
    .axi_wready_i  (s0_wready),
    .axi_bid_i     (s0_bid),
    .axi_bresp_i   (s0_bresp),
    .axi_bvalid_i  (s0_bvalid),
    .axi_bready_o  (s0_bready),
    .axi_arid_o    (s0_arid),
    .axi_araddr_o  (s0_araddr),
    .axi_arlen_o   (s0_arlen),
    .axi_arsize_o  (s0_arsize),
    .axi_arburst_o (s0_arburst),
    .axi_arvalid_o (s0_arvalid),
    .axi_arready_i (s0_arready),
    .axi_rid_i     (s0_rid),
    .axi_rdata_i   (s0_rdata),
    .axi_rresp_i   (s0_rresp),
    .axi_rlast_i   (s0_rlast),
    .axi_rvalid_i  (s0_rvalid),
    .axi_rready_o  (s0_rready),
    .dma_dreq_i    (sd_dreq),
    .dma_dack_o    (sd_dack),
    .dma_eop_i,
    .dma_tc_o      (sd_tc),
    .dma_ior_no    (sd_ior_n),
    .dma_iow_no    (sd_iow_n),
    .dma_data_o    (sd_data_o),
    .dma_data_i    (sd_data_i),
    .tc_event_o    (tc_event),
    .axi_err_o     (axi_err)
  );

  hba #(.DmaChan(HbaDmaChan)) u_hba (
    .clk_i,
    .rst_ni,
    .reg_req_i     (hba_req),
    .reg_we_i      (apb_pwrite_i),
    .reg_addr_i    (apb_paddr_i[11:0]),
    .reg_wdata_i   (apb_pwdata_i),
    .reg_wstrb_i   (apb_pstrb_i),
    .reg_rdata_o   (hba_rdata),
    .reg_err_o     (hba_err),
    .scsi_o        (scsi_hba_o),
    .scsi_i        (scsi_bus_o),
    .dma_dreq_o    (hba_dreq),
    .dma_dack_i    (sd_dack[HbaDmaChan]),
    .dma_ior_ni    (sd_ior_n),
    .dma_iow_ni    (sd_iow_n),
    .dma_tc_i      (sd_tc),
    .dma_data_i    (sd_data_o),
    .dma_data_o    (hba_dma_data),
    .dma_sel_o     (hba_dma_sel),
    .axi_awid_o    (s1_awid),
    .axi_awaddr_o  (s1_awaddr),
    .axi_awlen_o   (s1_awlen),
    .axi_awsize_o  (s1_awsize),
    .axi_awburst_o (s1_awburst),
    .axi_awvalid_o (s1_awvalid),
    .axi_awready_i (s1_awready),
    .axi_wdata_o   (s1_wdata),
    .axi_wstrb_o   (s1_wstrb),
    .axi_wlast_o   (s1_wlast),
    .axi_wvalid_o  (s1_wvalid),
    .axi_wready_i  (s1_wready),
    .axi_bid_i     (s1_bid),
    .axi_bresp_i   (s1_bresp),
    .axi_bvalid_i  (s1_bvalid),
    .axi_bready_o  (s1_bready),
    .axi_arid_o    (s1_arid),
    .axi_araddr_o  (s1_araddr),
    .axi_arlen_o   (s1_arlen),
    .axi_arsize_o  (s1_arsize),
    .axi_arburst_o (s1_arburst),
    .axi_arvalid_o (s1_arvalid),
    .axi_arready_i (s1_arready),
    .axi_rid_i     (s1_rid),
    .axi_rdata_i   (s1_rdata),
    .axi_rresp_i   (s1_rresp),
    .axi_rlast_i   (s1_rlast),
    .axi_rvalid_i  (s1_rvalid),
    .axi_rready_o  (s1_rready),
    .irq_o         (hba_irq)
  );

  // The resolved SCSI bus: wired-OR of the assertion masks.
  assign scsi_bus_o = scsi_hba_o | scsi_tgt_i;

  if (HbaAxiArb) begin : g_axi_arb
    axi_arb u_axi_arb (
      .clk_i,
      .rst_ni,
      .s0_awid_i    (s0_awid),
      .s0_awaddr_i  (s0_awaddr),
      .s0_awlen_i   (s0_awlen),
      .s0_awsize_i  (s0_awsize),
      .s0_awburst_i (s0_awburst),
      .s0_awvalid_i (s0_awvalid),
      .s0_awready_o (s0_awready),
      .s0_wdata_i   (s0_wdata),
      .s0_wstrb_i   (s0_wstrb),
      .s0_wlast_i   (s0_wlast),
      .s0_wvalid_i  (s0_wvalid),
      .s0_wready_o  (s0_wready),
      .s0_bid_o     (s0_bid),
      .s0_bresp_o   (s0_bresp),
      .s0_bvalid_o  (s0_bvalid),
      .s0_bready_i  (s0_bready),
      .s0_arid_i    (s0_arid),
      .s0_araddr_i  (s0_araddr),
      .s0_arlen_i   (s0_arlen),
      .s0_arsize_i  (s0_arsize),
      .s0_arburst_i (s0_arburst),
      .s0_arvalid_i (s0_arvalid),
      .s0_arready_o (s0_arready),
      .s0_rid_o     (s0_rid),
      .s0_rdata_o   (s0_rdata),
      .s0_rresp_o   (s0_rresp),
      .s0_rlast_o   (s0_rlast),
      .s0_rvalid_o  (s0_rvalid),
      .s0_rready_i  (s0_rready),
      .s1_awid_i    (s1_awid),
      .s1_awaddr_i  (s1_awaddr),
      .s1_awlen_i   (s1_awlen),
      .s1_awsize_i  (s1_awsize),
      .s1_awburst_i (s1_awburst),
      .s1_awvalid_i (s1_awvalid),
      .s1_awready_o (s1_awready),
      .s1_wdata_i   (s1_wdata),
      .s1_wstrb_i   (s1_wstrb),
      .s1_wlast_i   (s1_wlast),
      .s1_wvalid_i  (s1_wvalid),
      .s1_wready_o  (s1_wready),
      .s1_bid_o     (s1_bid),
      .s1_bresp_o   (s1_bresp),
      .s1_bvalid_o  (s1_bvalid),
      .s1_bready_i  (s1_bready),
      .s1_arid_i    (s1_arid),
      .s1_araddr_i  (s1_araddr),
      .s1_arlen_i   (s1_arlen),
      .s1_arsize_i  (s1_arsize),
      .s1_arburst_i (s1_arburst),
      .s1_arvalid_i (s1_arvalid),
      .s1_arready_o (s1_arready),
      .s1_rid_o     (s1_rid),
      .s1_rdata_o   (s1_rdata),
      .s1_rresp_o   (s1_rresp),
      .s1_rlast_o   (s1_rlast),
      .s1_rvalid_o  (s1_rvalid),
      .s1_rready_i  (s1_rready),
      .m_awid_o     (axi_awid_o),
      .m_awaddr_o   (axi_awaddr_o),
      .m_awlen_o    (axi_awlen_o),
      .m_awsize_o   (axi_awsize_o),
      .m_awburst_o  (axi_awburst_o),
      .m_awvalid_o  (axi_awvalid_o),
      .m_awready_i  (axi_awready_i),
      .m_wdata_o    (axi_wdata_o),
      .m_wstrb_o    (axi_wstrb_o),
      .m_wlast_o    (axi_wlast_o),
      .m_wvalid_o   (axi_wvalid_o),
      .m_wready_i   (axi_wready_i),
      .m_bid_i      (axi_bid_i),
      .m_bresp_i    (axi_bresp_i),
      .m_bvalid_i   (axi_bvalid_i),
      .m_bready_o   (axi_bready_o),
      .m_arid_o     (axi_arid_o),
      .m_araddr_o   (axi_araddr_o),
      .m_arlen_o    (axi_arlen_o),
      .m_arsize_o   (axi_arsize_o),
      .m_arburst_o  (axi_arburst_o),
      .m_arvalid_o  (axi_arvalid_o),
      .m_arready_i  (axi_arready_i),
      .m_rid_i      (axi_rid_i),
      .m_rdata_i    (axi_rdata_i),
      .m_rresp_i    (axi_rresp_i),
      .m_rlast_i    (axi_rlast_i),
      .m_rvalid_i   (axi_rvalid_i),
      .m_rready_o   (axi_rready_o)
    );
  end else begin : g_axi_sysdma
    // sysdma alone on the AXI port; the HBA engine's requests are never accepted
    assign axi_awid_o    = s0_awid;
    assign axi_awaddr_o  = s0_awaddr;
    assign axi_awlen_o   = s0_awlen;
    assign axi_awsize_o  = s0_awsize;
    assign axi_awburst_o = s0_awburst;
    assign axi_awvalid_o = s0_awvalid;
    assign s0_awready    = axi_awready_i;
    assign axi_wdata_o   = s0_wdata;
    assign axi_wstrb_o   = s0_wstrb;
    assign axi_wlast_o   = s0_wlast;
    assign axi_wvalid_o  = s0_wvalid;
    assign s0_wready     = axi_wready_i;
    assign s0_bid        = axi_bid_i;
    assign s0_bresp      = axi_bresp_i;
    assign s0_bvalid     = axi_bvalid_i;
    assign axi_bready_o  = s0_bready;
    assign axi_arid_o    = s0_arid;
    assign axi_araddr_o  = s0_araddr;
    assign axi_arlen_o   = s0_arlen;
    assign axi_arsize_o  = s0_arsize;
    assign axi_arburst_o = s0_arburst;
    assign axi_arvalid_o = s0_arvalid;
    assign s0_arready    = axi_arready_i;
    assign s0_rid        = axi_rid_i;
    assign s0_rdata      = axi_rdata_i;
    assign s0_rresp      = axi_rresp_i;
    assign s0_rlast      = axi_rlast_i;
    assign s0_rvalid     = axi_rvalid_i;
    assign axi_rready_o  = s0_rready;
    assign s1_awready    = 1'b0;
    assign s1_wready     = 1'b0;
    assign s1_bid        = '0;
    assign s1_bresp      = '0;
    assign s1_bvalid     = 1'b0;
    assign s1_arready    = 1'b0;
    assign s1_rid        = '0;
    assign s1_rdata      = '0;
    assign s1_rresp      = '0;
    assign s1_rlast      = 1'b0;
    assign s1_rvalid     = 1'b0;
    logic unused_s1;
    assign unused_s1 = ^{s1_awid, s1_awaddr, s1_awlen, s1_awsize, s1_awburst, s1_awvalid,
                         s1_wdata, s1_wstrb, s1_wlast, s1_wvalid, s1_bready, s1_arid,
                         s1_araddr, s1_arlen, s1_arsize, s1_arburst, s1_arvalid, s1_rready};
  end

  assign irq_o = {6'b0, hba_irq, ctrl_irq};

  // ---------------------------------------------------------------------------------------
  // Assertions (Verilator --assert with +define+HBASIM_ASSERT; the subset Verilator 5.006
  // takes: |->, |=>, $rose, $isunknown).
`ifdef HBASIM_ASSERT
  // APB4 (IHI 0024C, 3.1): once in the access phase the master holds PADDR, PWRITE, PWDATA
  // and PSTRB until PREADY. An aborted transfer (PSEL dropped) is not flagged here: the design
  // tolerates it (see the header comment).
  // Checks run from the first edge after reset; rst_ni itself stays a purely asynchronous net.
  logic        chk_en_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) chk_en_q <= 1'b0;
    else         chk_en_q <= 1'b1;
  end
  logic        apb_wait_q;
  logic [31:0] apb_paddr_q, apb_pwdata_q;
  logic        apb_pwrite_q;
  logic [3:0]  apb_pstrb_q;
  always_ff @(posedge clk_i) begin
    apb_wait_q   <= apb_psel_i && apb_penable_i && !apb_pready_o;
    apb_paddr_q  <= apb_paddr_i;
    apb_pwdata_q <= apb_pwdata_i;
    apb_pwrite_q <= apb_pwrite_i;
    apb_pstrb_q  <= apb_pstrb_i;
  end
  a_apb_stable: assert property (@(posedge clk_i) disable iff (!chk_en_q)
      (apb_wait_q && apb_psel_i && apb_penable_i) |->
      (apb_paddr_i == apb_paddr_q && apb_pwrite_i == apb_pwrite_q
       && apb_pstrb_i == apb_pstrb_q && (!apb_pwrite_i || apb_pwdata_i == apb_pwdata_q)));
  // An access phase is entered from a setup phase.
  a_apb_setup: assert property (@(posedge clk_i) disable iff (!chk_en_q)
      $rose(apb_penable_i) |-> apb_psel_i);
  a_apb_known: assert property (@(posedge clk_i) disable iff (!chk_en_q)
      !$isunknown(apb_psel_i) && (!apb_psel_i || !$isunknown({apb_penable_i, apb_paddr_i})));
  // The design side: exactly one wait state, never two PREADY cycles in a row, and at most
  // one block addressed per access.
  a_one_wait: assert property (@(posedge clk_i) disable iff (!chk_en_q)
      (apb_psel_i && apb_penable_i && !apb_pready_o) |=> apb_pready_o);
  a_ready_pulse: assert property (@(posedge clk_i) disable iff (!chk_en_q)
      apb_pready_o |=> !apb_pready_o);
  a_one_target: assert property (@(posedge clk_i) disable iff (!chk_en_q)
      $onehot0({io_req, ctrl_req, hba_req}));
`endif

endmodule
