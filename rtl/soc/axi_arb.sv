// axi_arb: two AXI4 masters onto one AXI4 master port (docs/contracts.md section 11.2,
// policy in docs/hba/sgdma.md). Port s0 is sysdma (ID 0), s1 the HBA bus-master engine (ID 1).
//
// The arbiter adds no cycle to any access: sysdma's cycle-exact timing (and so the 8237's) is
// the same with or without it.
// - AR and AW are arbitrated separately. m_ar*/m_aw* VALID and payload are a combinational mux
//   of the masters' (registered) outputs; a master's READY is the memory's READY gated by the
//   grant, so READY depends on READY but no VALID depends on a READY. The grant is locked (a
//   flop) while the granted master's VALID waits for READY, so the payload on m_* never changes
//   while stalled (AXI4 A3.2.1). Otherwise it is picked round-robin: when both masters ask, the
//   one not granted last on that channel wins; else whichever asks.
// - The arbiter sets bit 0 of AWID/ARID to the port number (0 or 1) and routes B and R back by
//   bit 0 of BID/RID; bits 3:1 pass through. With sysdma on ID 0 and the HBA on ID 1 every ID
//   is unchanged.
// - W beats follow AW order (AXI4 has no write interleaving). Each granted AW that still owes
//   beats records its port in a small queue, and W beats pass from the port at its head until
//   WLAST. When the queue is empty, W passes from the master holding the AW grant while its AW
//   is presented on m_aw*, so an AW and its first beat go out in the same cycle. Such a beat may
//   pass before the AW handshakes (a memory may take W before AW): the grant then stays locked
//   to that master until its AW is accepted, and the beats already passed (some, or up to
//   WLAST) decide whether the AW enters the queue at its handshake. A master's W beats wait
//   while its AW is not presented, which cannot deadlock: AXI forbids a master to make AWVALID
//   wait for WREADY.
//   WDepth bounds the AWs whose data is not complete; AW is not presented while the queue is
//   full. B and R are routed without state, so reads and completed writes may be outstanding
//   in any number.
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

  // W beats of the AW-grant master passed before its AW handshake
  typedef enum logic [1:0] {
    EwNone = 2'd0,   // none
    EwSome = 2'd1,   // some, not WLAST: the AW owes beats at its handshake
    EwLast = 2'd2    // up to WLAST: the AW owes nothing; further beats are the next burst's
  } ew_e;

  // ------------------------------------------------------------------------------------------
  // AW: combinational mux, grant locked while stalled or while early W beats passed

  logic        aw_lock_q, aw_lock_d, aw_sel_q, aw_sel_d, aw_last_q, aw_last_d;
  logic        aw_pick, aw_req, aw_full, aw_hs;
  ew_e         ew_q, ew_d;

  // W order queue: the port of each granted AW whose beats have not all passed
  logic [WDepth-1:0] wq_q, wq_d;
  logic [WqAw-1:0]   wq_head_q, wq_head_d;
  logic [WqAw:0]     wq_cnt_q, wq_cnt_d;
  logic              w_port, w_any, w_pass, w_early, w_pop, w_push;

  // locked: the held master; else round-robin if both ask, else whichever asks
  assign aw_pick = aw_lock_q ? aw_sel_q :
                   (s0_awvalid_i && s1_awvalid_i) ? !aw_last_q : s1_awvalid_i;
  assign aw_req  = aw_pick ? s1_awvalid_i : s0_awvalid_i;
  // the queue only grows by AW handshakes, so a presented AW stays presented until taken
  assign aw_full = wq_cnt_q == WqW'(WDepth);
  assign aw_hs   = m_awvalid_o && m_awready_i;

  assign m_awvalid_o = aw_req && !aw_full;
  assign m_awid_o    = aw_pick ? {s1_awid_i[3:1], 1'b1} : {s0_awid_i[3:1], 1'b0};
  assign m_awaddr_o  = aw_pick ? s1_awaddr_i : s0_awaddr_i;
  assign m_awlen_o   = aw_pick ? s1_awlen_i : s0_awlen_i;
  assign m_awsize_o  = aw_pick ? s1_awsize_i : s0_awsize_i;
  assign m_awburst_o = aw_pick ? s1_awburst_i : s0_awburst_i;
  assign s0_awready_o = !aw_pick && m_awvalid_o && m_awready_i;
  assign s1_awready_o = aw_pick && m_awvalid_o && m_awready_i;

  // ------------------------------------------------------------------------------------------
  // W: from the port at the head of the order queue until WLAST; with the queue empty, from the
  // master whose AW is on m_aw*, unless its WLAST already passed

  assign w_any   = wq_cnt_q != '0;
  assign w_port  = w_any ? wq_q[wq_head_q] : aw_pick;
  assign m_wvalid_o = (w_port ? s1_wvalid_i : s0_wvalid_i) &&
                      (w_any || (m_awvalid_o && ew_q != EwLast));
  assign m_wdata_o  = w_port ? s1_wdata_i : s0_wdata_i;
  assign m_wstrb_o  = w_port ? s1_wstrb_i : s0_wstrb_i;
  assign m_wlast_o  = w_port ? s1_wlast_i : s0_wlast_i;
  assign s0_wready_o = !w_port && m_wready_i && (w_any || (m_awvalid_o && ew_q != EwLast));
  assign s1_wready_o = w_port && m_wready_i && (w_any || (m_awvalid_o && ew_q != EwLast));
  assign w_pass  = m_wvalid_o && m_wready_i;
  assign w_early = w_pass && !w_any;
  assign w_pop   = w_pass && w_any && m_wlast_o;
  // at the AW handshake, queue the port unless its WLAST passed already (or passes now)
  assign w_push  = aw_hs && ew_q != EwLast && !(w_early && m_wlast_o);

  always_comb begin
    ew_d = ew_q;
    if (aw_hs) ew_d = EwNone;
    else if (w_early && m_wlast_o) ew_d = EwLast;
    else if (w_early) ew_d = EwSome;
  end

  always_comb begin
    aw_last_d = aw_hs ? aw_pick : aw_last_q;
    aw_sel_d  = aw_pick;
    aw_lock_d = (m_awvalid_o && !m_awready_i) || ew_d != EwNone;
  end

  always_comb begin
    wq_d      = wq_q;
    wq_head_d = wq_head_q;
    if (w_push) begin
      for (int i = 0; i < WDepth; i++) begin
        if (WqAw'(i) == WqAw'(wq_head_q + wq_cnt_q[WqAw-1:0])) wq_d[i] = aw_pick;
      end
    end
    if (w_pop) wq_head_d = wq_head_q + WqAw'(1);
    wq_cnt_d = wq_cnt_q + WqW'(w_push) - WqW'(w_pop);
  end

  // ------------------------------------------------------------------------------------------
  // AR: as AW, without the W side

  logic ar_lock_q, ar_lock_d, ar_sel_q, ar_sel_d, ar_last_q, ar_last_d, ar_pick;

  assign ar_pick = ar_lock_q ? ar_sel_q :
                   (s0_arvalid_i && s1_arvalid_i) ? !ar_last_q : s1_arvalid_i;

  assign m_arvalid_o = ar_pick ? s1_arvalid_i : s0_arvalid_i;
  assign m_arid_o    = ar_pick ? {s1_arid_i[3:1], 1'b1} : {s0_arid_i[3:1], 1'b0};
  assign m_araddr_o  = ar_pick ? s1_araddr_i : s0_araddr_i;
  assign m_arlen_o   = ar_pick ? s1_arlen_i : s0_arlen_i;
  assign m_arsize_o  = ar_pick ? s1_arsize_i : s0_arsize_i;
  assign m_arburst_o = ar_pick ? s1_arburst_i : s0_arburst_i;
  assign s0_arready_o = !ar_pick && m_arvalid_o && m_arready_i;
  assign s1_arready_o = ar_pick && m_arvalid_o && m_arready_i;

  always_comb begin
    ar_last_d = (m_arvalid_o && m_arready_i) ? ar_pick : ar_last_q;
    ar_sel_d  = ar_pick;
    ar_lock_d = m_arvalid_o && !m_arready_i;
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
      aw_lock_q <= 1'b0;
      aw_sel_q  <= 1'b0;
      aw_last_q <= 1'b1;
      ew_q      <= EwNone;
      wq_q      <= '0;
      wq_head_q <= '0;
      wq_cnt_q  <= '0;
      ar_lock_q <= 1'b0;
      ar_sel_q  <= 1'b0;
      ar_last_q <= 1'b1;
    end else begin
      aw_lock_q <= aw_lock_d;
      aw_sel_q  <= aw_sel_d;
      aw_last_q <= aw_last_d;
      ew_q      <= ew_d;
      wq_q      <= wq_d;
      wq_head_q <= wq_head_d;
      wq_cnt_q  <= wq_cnt_d;
      ar_lock_q <= ar_lock_d;
      ar_sel_q  <= ar_sel_d;
      ar_last_q <= ar_last_d;
    end
  end

endmodule
