// axi_arb: two AXI4 masters onto one AXI4 master port (docs/contracts.md section 11.2,
// policy in docs/hba/sgdma.md). Port s0 is sysdma (ID 0), s1 the HBA bus-master engine (ID 1).
//
// - AR and AW are arbitrated separately, round-robin: when both masters ask, the one not
//   granted last on that channel wins. The address goes out through a register stage (the
//   m_ar/m_aw valid and payload come from flops), so no master sees the memory's READY
//   combinationally in a VALID.
// - The arbiter sets bit 0 of AWID/ARID to the port number (0 or 1) and routes B and R back by
//   bit 0 of BID/RID; bits 3:1 pass through. With sysdma on ID 0 and the HBA on ID 1 every ID
//   is unchanged.
// - W beats follow AW order (AXI4 has no write interleaving): each granted AW records its port
//   in a small queue, and W beats are forwarded from the port at its head until WLAST.
//   WDepth bounds the AWs whose data is not complete; AW grants wait while the queue is full.
//   B and R are routed without state, so reads and completed writes may be outstanding in any
//   number.
module axi_arb #(
  parameter int WDepth = 4   // AWs granted whose W beats have not all passed (power of 2, >= 2)
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  // master 0 (sysdma)
  input  logic [3:0]  s0_awid_i,
  input  logic [31:0] s0_awaddr_i,
  input  logic [7:0]  s0_awlen_i,
  input  logic [2:0]  s0_awsize_i,
  input  logic [1:0]  s0_awburst_i,
  input  logic        s0_awvalid_i,
  output logic        s0_awready_o,
  input  logic [31:0] s0_wdata_i,
  input  logic [3:0]  s0_wstrb_i,
  input  logic        s0_wlast_i,
  input  logic        s0_wvalid_i,
  output logic        s0_wready_o,
  output logic [3:0]  s0_bid_o,
  output logic [1:0]  s0_bresp_o,
  output logic        s0_bvalid_o,
  input  logic        s0_bready_i,
  input  logic [3:0]  s0_arid_i,
  input  logic [31:0] s0_araddr_i,
  input  logic [7:0]  s0_arlen_i,
  input  logic [2:0]  s0_arsize_i,
  input  logic [1:0]  s0_arburst_i,
  input  logic        s0_arvalid_i,
  output logic        s0_arready_o,
  output logic [3:0]  s0_rid_o,
  output logic [31:0] s0_rdata_o,
  output logic [1:0]  s0_rresp_o,
  output logic        s0_rlast_o,
  output logic        s0_rvalid_o,
  input  logic        s0_rready_i,

  // master 1 (HBA bus-master engine)
  input  logic [3:0]  s1_awid_i,
  input  logic [31:0] s1_awaddr_i,
  input  logic [7:0]  s1_awlen_i,
  input  logic [2:0]  s1_awsize_i,
  input  logic [1:0]  s1_awburst_i,
  input  logic        s1_awvalid_i,
  output logic        s1_awready_o,
  input  logic [31:0] s1_wdata_i,
  input  logic [3:0]  s1_wstrb_i,
  input  logic        s1_wlast_i,
  input  logic        s1_wvalid_i,
  output logic        s1_wready_o,
  output logic [3:0]  s1_bid_o,
  output logic [1:0]  s1_bresp_o,
  output logic        s1_bvalid_o,
  input  logic        s1_bready_i,
  input  logic [3:0]  s1_arid_i,
  input  logic [31:0] s1_araddr_i,
  input  logic [7:0]  s1_arlen_i,
  input  logic [2:0]  s1_arsize_i,
  input  logic [1:0]  s1_arburst_i,
  input  logic        s1_arvalid_i,
  output logic        s1_arready_o,
  output logic [3:0]  s1_rid_o,
  output logic [31:0] s1_rdata_o,
  output logic [1:0]  s1_rresp_o,
  output logic        s1_rlast_o,
  output logic        s1_rvalid_o,
  input  logic        s1_rready_i,

  // the shared port (soc_top's axi_* port)
  output logic [3:0]  m_awid_o,
  output logic [31:0] m_awaddr_o,
  output logic [7:0]  m_awlen_o,
  output logic [2:0]  m_awsize_o,
  output logic [1:0]  m_awburst_o,
  output logic        m_awvalid_o,
  input  logic        m_awready_i,
  output logic [31:0] m_wdata_o,
  output logic [3:0]  m_wstrb_o,
  output logic        m_wlast_o,
  output logic        m_wvalid_o,
  input  logic        m_wready_i,
  input  logic [3:0]  m_bid_i,
  input  logic [1:0]  m_bresp_i,
  input  logic        m_bvalid_i,
  output logic        m_bready_o,
  output logic [3:0]  m_arid_o,
  output logic [31:0] m_araddr_o,
  output logic [7:0]  m_arlen_o,
  output logic [2:0]  m_arsize_o,
  output logic [1:0]  m_arburst_o,
  output logic        m_arvalid_o,
  input  logic        m_arready_i,
  input  logic [3:0]  m_rid_i,
  input  logic [31:0] m_rdata_i,
  input  logic [1:0]  m_rresp_i,
  input  logic        m_rlast_i,
  input  logic        m_rvalid_i,
  output logic        m_rready_o
);

  localparam int WqAw = $clog2(WDepth);
  localparam int WqW  = WqAw + 1;

  // ------------------------------------------------------------------------------------------
  // AW: round-robin grant into a register stage

  logic        aw_v_q, aw_v_d, aw_last_q, aw_last_d;
  logic [3:0]  aw_id_q, aw_id_d;
  logic [31:0] aw_addr_q, aw_addr_d;
  logic [7:0]  aw_len_q, aw_len_d;
  logic [2:0]  aw_size_q, aw_size_d;
  logic [1:0]  aw_burst_q, aw_burst_d;
  logic        aw_pick, aw_go;

  // W order queue: the port of each granted AW whose beats have not all passed
  logic [WDepth-1:0] wq_q, wq_d;
  logic [WqAw-1:0]   wq_head_q, wq_head_d;
  logic [WqAw:0]     wq_cnt_q, wq_cnt_d;
  logic              w_port, w_any, w_pop;

  // round-robin: if both ask, the one not granted last; else whichever asks
  assign aw_pick = (s0_awvalid_i && s1_awvalid_i) ? !aw_last_q : s1_awvalid_i;
  assign aw_go   = (s0_awvalid_i || s1_awvalid_i) && (!aw_v_q || m_awready_i) &&
                   wq_cnt_q != WqW'(WDepth);
  assign s0_awready_o = aw_go && !aw_pick;
  assign s1_awready_o = aw_go && aw_pick;

  always_comb begin
    aw_v_d     = aw_v_q && !m_awready_i;
    aw_last_d  = aw_last_q;
    aw_id_d    = aw_id_q;
    aw_addr_d  = aw_addr_q;
    aw_len_d   = aw_len_q;
    aw_size_d  = aw_size_q;
    aw_burst_d = aw_burst_q;
    if (aw_go) begin
      aw_v_d     = 1'b1;
      aw_last_d  = aw_pick;
      aw_id_d    = aw_pick ? {s1_awid_i[3:1], 1'b1} : {s0_awid_i[3:1], 1'b0};
      aw_addr_d  = aw_pick ? s1_awaddr_i : s0_awaddr_i;
      aw_len_d   = aw_pick ? s1_awlen_i : s0_awlen_i;
      aw_size_d  = aw_pick ? s1_awsize_i : s0_awsize_i;
      aw_burst_d = aw_pick ? s1_awburst_i : s0_awburst_i;
    end
  end

  // ------------------------------------------------------------------------------------------
  // W: beats from the port at the head of the order queue, until WLAST

  assign w_any  = wq_cnt_q != '0;
  assign w_port = wq_q[wq_head_q];
  assign m_wvalid_o = w_any && (w_port ? s1_wvalid_i : s0_wvalid_i);
  assign m_wdata_o  = w_port ? s1_wdata_i : s0_wdata_i;
  assign m_wstrb_o  = w_port ? s1_wstrb_i : s0_wstrb_i;
  assign m_wlast_o  = w_port ? s1_wlast_i : s0_wlast_i;
  assign s0_wready_o = w_any && !w_port && m_wready_i;
  assign s1_wready_o = w_any && w_port && m_wready_i;
  assign w_pop  = m_wvalid_o && m_wready_i && m_wlast_o;

  always_comb begin
    wq_d      = wq_q;
    wq_head_d = wq_head_q;
    if (aw_go) begin
      for (int i = 0; i < WDepth; i++) begin
        if (WqAw'(i) == WqAw'(wq_head_q + wq_cnt_q[WqAw-1:0])) wq_d[i] = aw_pick;
      end
    end
    if (w_pop) wq_head_d = wq_head_q + WqAw'(1);
    wq_cnt_d = wq_cnt_q + WqW'(aw_go) - WqW'(w_pop);
  end

  // ------------------------------------------------------------------------------------------
  // AR: as AW

  logic        ar_v_q, ar_v_d, ar_last_q, ar_last_d;
  logic [3:0]  ar_id_q, ar_id_d;
  logic [31:0] ar_addr_q, ar_addr_d;
  logic [7:0]  ar_len_q, ar_len_d;
  logic [2:0]  ar_size_q, ar_size_d;
  logic [1:0]  ar_burst_q, ar_burst_d;
  logic        ar_pick, ar_go;

  assign ar_pick = (s0_arvalid_i && s1_arvalid_i) ? !ar_last_q : s1_arvalid_i;
  assign ar_go   = (s0_arvalid_i || s1_arvalid_i) && (!ar_v_q || m_arready_i);
  assign s0_arready_o = ar_go && !ar_pick;
  assign s1_arready_o = ar_go && ar_pick;

  always_comb begin
    ar_v_d     = ar_v_q && !m_arready_i;
    ar_last_d  = ar_last_q;
    ar_id_d    = ar_id_q;
    ar_addr_d  = ar_addr_q;
    ar_len_d   = ar_len_q;
    ar_size_d  = ar_size_q;
    ar_burst_d = ar_burst_q;
    if (ar_go) begin
      ar_v_d     = 1'b1;
      ar_last_d  = ar_pick;
      ar_id_d    = ar_pick ? {s1_arid_i[3:1], 1'b1} : {s0_arid_i[3:1], 1'b0};
      ar_addr_d  = ar_pick ? s1_araddr_i : s0_araddr_i;
      ar_len_d   = ar_pick ? s1_arlen_i : s0_arlen_i;
      ar_size_d  = ar_pick ? s1_arsize_i : s0_arsize_i;
      ar_burst_d = ar_pick ? s1_arburst_i : s0_arburst_i;
    end
  end

  // ------------------------------------------------------------------------------------------
  // B and R: routed by bit 0 of the ID

  assign s0_bid_o    = m_bid_i;
  assign s0_bresp_o  = m_bresp_i;
  assign s0_bvalid_o = m_bvalid_i && !m_bid_i[0];
  assign s1_bid_o    = m_bid_i;
  assign s1_bresp_o  = m_bresp_i;
  assign s1_bvalid_o = m_bvalid_i && m_bid_i[0];
  assign m_bready_o  = m_bid_i[0] ? s1_bready_i : s0_bready_i;

  assign s0_rid_o    = m_rid_i;
  assign s0_rdata_o  = m_rdata_i;
  assign s0_rresp_o  = m_rresp_i;
  assign s0_rlast_o  = m_rlast_i;
  assign s0_rvalid_o = m_rvalid_i && !m_rid_i[0];
  assign s1_rid_o    = m_rid_i;
  assign s1_rdata_o  = m_rdata_i;
  assign s1_rresp_o  = m_rresp_i;
  assign s1_rlast_o  = m_rlast_i;
  assign s1_rvalid_o = m_rvalid_i && m_rid_i[0];
  assign m_rready_o  = m_rid_i[0] ? s1_rready_i : s0_rready_i;

  // the ID bit 0 of each master is replaced by its port number
  logic unused_id0;
  assign unused_id0 = ^{s0_awid_i[0], s1_awid_i[0], s0_arid_i[0], s1_arid_i[0]};

  // ------------------------------------------------------------------------------------------

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      aw_v_q     <= 1'b0;
      aw_last_q  <= 1'b1;
      aw_id_q    <= '0;
      aw_addr_q  <= '0;
      aw_len_q   <= '0;
      aw_size_q  <= '0;
      aw_burst_q <= '0;
      wq_q       <= '0;
      wq_head_q  <= '0;
      wq_cnt_q   <= '0;
      ar_v_q     <= 1'b0;
      ar_last_q  <= 1'b1;
      ar_id_q    <= '0;
      ar_addr_q  <= '0;
      ar_len_q   <= '0;
      ar_size_q  <= '0;
      ar_burst_q <= '0;
    end else begin
      aw_v_q     <= aw_v_d;
      aw_last_q  <= aw_last_d;
      aw_id_q    <= aw_id_d;
      aw_addr_q  <= aw_addr_d;
      aw_len_q   <= aw_len_d;
      aw_size_q  <= aw_size_d;
      aw_burst_q <= aw_burst_d;
      wq_q       <= wq_d;
      wq_head_q  <= wq_head_d;
      wq_cnt_q   <= wq_cnt_d;
      ar_v_q     <= ar_v_d;
      ar_last_q  <= ar_last_d;
      ar_id_q    <= ar_id_d;
      ar_addr_q  <= ar_addr_d;
      ar_len_q   <= ar_len_d;
      ar_size_q  <= ar_size_d;
      ar_burst_q <= ar_burst_d;
    end
  end

  assign m_awid_o    = aw_id_q;
  assign m_awaddr_o  = aw_addr_q;
  assign m_awlen_o   = aw_len_q;
  assign m_awsize_o  = aw_size_q;
  assign m_awburst_o = aw_burst_q;
  assign m_awvalid_o = aw_v_q;
  assign m_arid_o    = ar_id_q;
  assign m_araddr_o  = ar_addr_q;
  assign m_arlen_o   = ar_len_q;
  assign m_arsize_o  = ar_size_q;
  assign m_arburst_o = ar_burst_q;
  assign m_arvalid_o = ar_v_q;

endmodule
