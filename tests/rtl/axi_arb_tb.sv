// axi_arb_tb: self-checking Icarus Verilog testbench of the two-master AXI4 arbiter
// (rtl/soc/axi_arb.sv). Two random masters, each with several reads and writes outstanding
// and seeded random VALID/READY pauses, share one in-order behavioural memory that pauses too
// and answers SLVERR in injected ranges. Checked:
//   - every write reaches memory exactly once with its own data (each burst has its own
//     address range; the memory image is compared at the end), every read returns the
//     memory's bytes, RLAST on the last beat;
//   - every B and R burst returns to the master that issued it, in its order, with its ID
//     (bits 3:1 as issued, bit 0 the port) and the response of its address range;
//   - the memory side keeps AXI rules: VALID and payload stable while stalled, WLAST exactly
//     on the last beat of the AW it belongs to, as many AWs/ARs as the masters issued;
//   - round-robin: when both masters ask on a channel for a free grant (not one held while
//     its master's VALID waits for READY), the grant alternates;
//   - zero added latency: whenever a master asks on AR (or on AW while fewer than WDepth AWs
//     owe data), an address is on m_* in that same cycle, it is an asking master's with bit 0
//     of the ID its port, and READY reaches that master only, combinationally; with no AW
//     owing data, the W beats of the master whose AW is on m_aw* pass in that same cycle; new
//     requests that meet a ready memory are counted and must handshake at once;
//   - sparse windows (few requests) so that new requests meet an idle memory;
//   - early W: in other windows the memory takes W beats before their AW (and stalls AW
//     more), so beats and whole bursts (WLAST) pass before the AW handshake; the grant must
//     stay with that master and the beats must land in that AW's range.
//
// Run: tools/run_rtl_tb.sh tests/rtl/axi_arb_tb.sv (make test). Exits non-zero on failure.
`timescale 1ns / 1ps

package axi_arb_tb_pkg;
  function automatic logic [31:0] mix(input logic [31:0] x);
    logic [31:0] y;
    y = x ^ 32'h9E37_79B9;
    y = y ^ (y << 13);
    y = y ^ (y >> 17);
    y = y ^ (y << 5);
    return y * 32'h0101_0193;
  endfunction

  localparam int NTr = 160;                                 // bursts per master per direction
  function automatic logic [31:0] wr_base(input int port);  // 64-byte slot per write burst
    return 32'h0000_4000 * (port + 1);
  endfunction
  function automatic logic [31:0] rd_base(input int port);
    return 32'h0000_C000 + 32'h0000_1000 * port;
  endfunction
  // the data a master writes at beat b of its burst k
  function automatic logic [31:0] wr_data(input int port, input int k, input int b);
    return mix(32'(port * 100000 + k * 100 + b));
  endfunction
  // the initial memory contents
  function automatic logic [31:0] mem_word(input logic [31:0] a);
    return mix(a ^ 32'h5A5A_0000);
  endfunction
  // error ranges: a few read and write slots answer SLVERR
  function automatic logic err_word(input logic [31:0] a);
    return (a >= 32'h0000_8040 && a < 32'h0000_8080) ||   // port 1 write burst 1
           (a >= 32'h0000_D100 && a < 32'h0000_D110) ||   // port 1 read region
           (a >= 32'h0000_4200 && a < 32'h0000_4204);     // port 0 write burst 8
  endfunction
endpackage

// a random AXI4 master: NTr writes and NTr reads, AW/W/AR independent, random pauses
module axi_arb_tb_master #(
  parameter int          Port = 0,
  parameter logic [31:0] Seed = 1
) (
  input  logic        clk,
  input  logic        rst_n,
  output logic [3:0]  awid,
  output logic [31:0] awaddr,
  output logic [7:0]  awlen,
  output logic [2:0]  awsize,
  output logic [1:0]  awburst,
  output logic        awvalid,
  input  logic        awready,
  output logic [31:0] wdata,
  output logic [3:0]  wstrb,
  output logic        wlast,
  output logic        wvalid,
  input  logic        wready,
  input  logic [3:0]  bid,
  input  logic [1:0]  bresp,
  input  logic        bvalid,
  output logic        bready,
  output logic [3:0]  arid,
  output logic [31:0] araddr,
  output logic [7:0]  arlen,
  output logic [2:0]  arsize,
  output logic [1:0]  arburst,
  output logic        arvalid,
  input  logic        arready,
  input  logic [3:0]  rid,
  input  logic [31:0] rdata,
  input  logic [1:0]  rresp,
  input  logic        rlast,
  input  logic        rvalid,
  output logic        rready,
  input  int          req_pct,   // % of cycles a free AW or AR channel starts a request
  output logic        done,
  output int          faults
);
  import axi_arb_tb_pkg::*;

  logic [31:0] rng = Seed;
  function automatic logic go(input int pct);   // true in pct % of the calls
    rng = rng ^ (rng << 13);
    rng = rng ^ (rng >> 17);
    rng = rng ^ (rng << 5);
    return (rng % 100) < pct;
  endfunction

  // burst k: length from its index, ID bits 3:1 from its index, bit 0 the port
  function automatic logic [7:0] len_of(input int k);
    return 8'((k * 7 + Port * 3) % 16);
  endfunction
  function automatic logic [3:0] id_of(input int k);
    return {3'(k), 1'(Port)};
  endfunction
  function automatic logic [31:0] rd_addr(input int k);
    return rd_base(Port) + 32'(k * 64);
  endfunction

  int aw_k = 0, w_k = 0, w_b = 0, b_k = 0, ar_k = 0, r_k = 0, r_b = 0;
  logic [1:0] b_exp;

  initial begin
    awvalid = 0; wvalid = 0; arvalid = 0; bready = 0; rready = 0;
    awid = 0; awaddr = 0; awlen = 0; awsize = 0; awburst = 0;
    wdata = 0; wstrb = 0; wlast = 0; arid = 0; araddr = 0; arlen = 0; arsize = 0; arburst = 0;
    faults = 0;
  end

  task automatic fault(input string what);
    faults++;
    if (faults < 6) $display("  FAIL master %0d: %s", Port, what);
  endtask

  assign done = (b_k == NTr) && (r_k == NTr) && (w_k == NTr);

  // AXI: VALIDs stay low during reset
  always @(posedge clk) if (rst_n) begin
    // AW
    if (awvalid && awready) aw_k++;
    if (!awvalid || awready) begin
      if (aw_k < NTr && go(req_pct)) begin
        awvalid <= 1'b1;
        awid    <= id_of(aw_k);
        awaddr  <= wr_base(Port) + 32'(aw_k * 64);
        awlen   <= len_of(aw_k);
        awsize  <= 3'd2;
        awburst <= 2'b01;
      end else awvalid <= 1'b0;
    end
    // W (may run ahead of AW: the arbiter must hold it until its AW is granted)
    if (wvalid && wready) begin
      if (w_b == int'(len_of(w_k))) begin
        w_k++;
        w_b = 0;
      end else w_b++;
    end
    if (!wvalid || wready) begin
      if (w_k < NTr && go(70)) begin
        wvalid <= 1'b1;
        wdata  <= wr_data(Port, w_k, w_b);
        wstrb  <= 4'b1111;
        wlast  <= (w_b == int'(len_of(w_k)));
      end else wvalid <= 1'b0;
    end
    // B
    if (bvalid && bready) begin
      if (b_k >= aw_k) fault("B without an accepted AW");
      else begin
        b_exp = 2'b00;
        for (int b = 0; b <= int'(len_of(b_k)); b++)
          if (err_word(wr_base(Port) + 32'(b_k * 64 + 4 * b))) b_exp = 2'b10;
        if (bid !== id_of(b_k)) fault($sformatf("BID %0d, expected %0d", bid, id_of(b_k)));
        if (bresp !== b_exp) fault($sformatf("BRESP %0d for write %0d", bresp, b_k));
      end
      b_k++;
    end
    bready <= go(70);
    // AR
    if (arvalid && arready) ar_k++;
    if (!arvalid || arready) begin
      if (ar_k < NTr && go(req_pct)) begin
        arvalid <= 1'b1;
        arid    <= id_of(ar_k);
        araddr  <= rd_addr(ar_k);
        arlen   <= len_of(ar_k);
        arsize  <= 3'd2;
        arburst <= 2'b01;
      end else arvalid <= 1'b0;
    end
    // R
    if (rvalid && rready) begin
      if (r_k >= ar_k) fault("R without an accepted AR");
      else begin
        if (rid !== id_of(r_k)) fault($sformatf("RID %0d, expected %0d", rid, id_of(r_k)));
        if (rdata !== mem_word(rd_addr(r_k) + 32'(4 * r_b)))
          fault($sformatf("read %0d beat %0d: data %08x", r_k, r_b, rdata));
        if (rresp !== (err_word(rd_addr(r_k) + 32'(4 * r_b)) ? 2'b10 : 2'b00))
          fault($sformatf("read %0d beat %0d: RRESP %0d", r_k, r_b, rresp));
        if (rlast !== (r_b == int'(len_of(r_k)))) fault("RLAST not on the last beat");
      end
      if (r_b == int'(len_of(r_k))) begin
        r_k++;
        r_b = 0;
      end else r_b++;
    end
    rready <= go(70);
  end
endmodule

module axi_arb_tb;
  import axi_arb_tb_pkg::*;

  localparam int MemBytes = 1 << 16;
  localparam int QMax = 16;

  logic clk = 1'b0, rst_n = 1'b0;
  always #5 clk = ~clk;
  int cycle = 0;
  always @(posedge clk) cycle <= cycle + 1;

  int checks = 0, failures = 0;
  task automatic check(input logic cond, input string what);
    checks++;
    if (!cond) begin
      failures++;
      $display("  FAIL at cycle %0d: %s", cycle, what);
    end
  endtask

  // masters' side
  logic [3:0]  s_awid [2], s_arid [2], s_bid [2], s_rid [2];
  logic [31:0] s_awaddr [2], s_araddr [2], s_wdata [2], s_rdata [2];
  logic [7:0]  s_awlen [2], s_arlen [2];
  logic [2:0]  s_awsize [2], s_arsize [2];
  logic [1:0]  s_awburst [2], s_arburst [2], s_bresp [2], s_rresp [2];
  logic [3:0]  s_wstrb [2];
  logic        s_awvalid [2], s_awready [2], s_wlast [2], s_wvalid [2], s_wready [2];
  logic        s_bvalid [2], s_bready [2], s_arvalid [2], s_arready [2];
  logic        s_rlast [2], s_rvalid [2], s_rready [2], m_done [2];
  int          m_faults [2];

  // memory side
  logic [3:0]  awid, arid, bid = 0, rid = 0;
  logic [31:0] awaddr, araddr, wdata, rdata = 0;
  logic [7:0]  awlen, arlen;
  logic [2:0]  awsize, arsize;
  logic [1:0]  awburst, arburst, bresp = 0, rresp = 0;
  logic [3:0]  wstrb;
  logic        awvalid, awready = 0, wlast, wvalid, wready = 0, bvalid = 0, bready;
  logic        arvalid, arready = 0, rlast = 0, rvalid = 0, rready;

  axi_arb_tb_master #(.Port(0), .Seed(32'h0BAD_5EED)) u_m0 (
    .clk, .rst_n, .awid(s_awid[0]), .awaddr(s_awaddr[0]), .awlen(s_awlen[0]), .awsize(s_awsize[0]),
    .awburst(s_awburst[0]), .awvalid(s_awvalid[0]), .awready(s_awready[0]),
    .wdata(s_wdata[0]), .wstrb(s_wstrb[0]), .wlast(s_wlast[0]), .wvalid(s_wvalid[0]),
    .wready(s_wready[0]), .bid(s_bid[0]), .bresp(s_bresp[0]), .bvalid(s_bvalid[0]),
    .bready(s_bready[0]), .arid(s_arid[0]), .araddr(s_araddr[0]), .arlen(s_arlen[0]),
    .arsize(s_arsize[0]), .arburst(s_arburst[0]), .arvalid(s_arvalid[0]),
    .arready(s_arready[0]), .rid(s_rid[0]), .rdata(s_rdata[0]), .rresp(s_rresp[0]),
    .rlast(s_rlast[0]), .rvalid(s_rvalid[0]), .rready(s_rready[0]), .req_pct, .done(m_done[0]),
    .faults(m_faults[0]));

  axi_arb_tb_master #(.Port(1), .Seed(32'h1357_2468)) u_m1 (
    .clk, .rst_n, .awid(s_awid[1]), .awaddr(s_awaddr[1]), .awlen(s_awlen[1]), .awsize(s_awsize[1]),
    .awburst(s_awburst[1]), .awvalid(s_awvalid[1]), .awready(s_awready[1]),
    .wdata(s_wdata[1]), .wstrb(s_wstrb[1]), .wlast(s_wlast[1]), .wvalid(s_wvalid[1]),
    .wready(s_wready[1]), .bid(s_bid[1]), .bresp(s_bresp[1]), .bvalid(s_bvalid[1]),
    .bready(s_bready[1]), .arid(s_arid[1]), .araddr(s_araddr[1]), .arlen(s_arlen[1]),
    .arsize(s_arsize[1]), .arburst(s_arburst[1]), .arvalid(s_arvalid[1]),
    .arready(s_arready[1]), .rid(s_rid[1]), .rdata(s_rdata[1]), .rresp(s_rresp[1]),
    .rlast(s_rlast[1]), .rvalid(s_rvalid[1]), .rready(s_rready[1]), .req_pct, .done(m_done[1]),
    .faults(m_faults[1]));

  axi_arb dut (
    .clk_i(clk), .rst_ni(rst_n),
    .s0_awid_i(s_awid[0]), .s0_awaddr_i(s_awaddr[0]), .s0_awlen_i(s_awlen[0]),
    .s0_awsize_i(s_awsize[0]), .s0_awburst_i(s_awburst[0]), .s0_awvalid_i(s_awvalid[0]),
    .s0_awready_o(s_awready[0]), .s0_wdata_i(s_wdata[0]), .s0_wstrb_i(s_wstrb[0]),
    .s0_wlast_i(s_wlast[0]), .s0_wvalid_i(s_wvalid[0]), .s0_wready_o(s_wready[0]),
    .s0_bid_o(s_bid[0]), .s0_bresp_o(s_bresp[0]), .s0_bvalid_o(s_bvalid[0]),
    .s0_bready_i(s_bready[0]), .s0_arid_i(s_arid[0]), .s0_araddr_i(s_araddr[0]),
    .s0_arlen_i(s_arlen[0]), .s0_arsize_i(s_arsize[0]), .s0_arburst_i(s_arburst[0]),
    .s0_arvalid_i(s_arvalid[0]), .s0_arready_o(s_arready[0]), .s0_rid_o(s_rid[0]),
    .s0_rdata_o(s_rdata[0]), .s0_rresp_o(s_rresp[0]), .s0_rlast_o(s_rlast[0]),
    .s0_rvalid_o(s_rvalid[0]), .s0_rready_i(s_rready[0]),
    .s1_awid_i(s_awid[1]), .s1_awaddr_i(s_awaddr[1]), .s1_awlen_i(s_awlen[1]),
    .s1_awsize_i(s_awsize[1]), .s1_awburst_i(s_awburst[1]), .s1_awvalid_i(s_awvalid[1]),
    .s1_awready_o(s_awready[1]), .s1_wdata_i(s_wdata[1]), .s1_wstrb_i(s_wstrb[1]),
    .s1_wlast_i(s_wlast[1]), .s1_wvalid_i(s_wvalid[1]), .s1_wready_o(s_wready[1]),
    .s1_bid_o(s_bid[1]), .s1_bresp_o(s_bresp[1]), .s1_bvalid_o(s_bvalid[1]),
    .s1_bready_i(s_bready[1]), .s1_arid_i(s_arid[1]), .s1_araddr_i(s_araddr[1]),
    .s1_arlen_i(s_arlen[1]), .s1_arsize_i(s_arsize[1]), .s1_arburst_i(s_arburst[1]),
    .s1_arvalid_i(s_arvalid[1]), .s1_arready_o(s_arready[1]), .s1_rid_o(s_rid[1]),
    .s1_rdata_o(s_rdata[1]), .s1_rresp_o(s_rresp[1]), .s1_rlast_o(s_rlast[1]),
    .s1_rvalid_o(s_rvalid[1]), .s1_rready_i(s_rready[1]),
    .m_awid_o(awid), .m_awaddr_o(awaddr), .m_awlen_o(awlen), .m_awsize_o(awsize),
    .m_awburst_o(awburst), .m_awvalid_o(awvalid), .m_awready_i(awready),
    .m_wdata_o(wdata), .m_wstrb_o(wstrb), .m_wlast_o(wlast), .m_wvalid_o(wvalid),
    .m_wready_i(wready), .m_bid_i(bid), .m_bresp_i(bresp), .m_bvalid_i(bvalid),
    .m_bready_o(bready), .m_arid_o(arid), .m_araddr_o(araddr), .m_arlen_o(arlen),
    .m_arsize_o(arsize), .m_arburst_o(arburst), .m_arvalid_o(arvalid),
    .m_arready_i(arready), .m_rid_i(rid), .m_rdata_i(rdata), .m_rresp_i(rresp),
    .m_rlast_i(rlast), .m_rvalid_i(rvalid), .m_rready_o(rready)
  );

  // ------------------------------------------------------------------------------------------
  // in-order memory with random pauses; WREADY only for a burst whose AW was taken

  logic [31:0] mem [MemBytes / 4];
  logic [31:0] rng = 32'hC0FF_EE11;
  function automatic logic pause(input int pct = 25);
    rng = rng ^ (rng << 13);
    rng = rng ^ (rng >> 17);
    rng = rng ^ (rng << 5);
    return (rng % 100) < pct;
  endfunction

  // 800-cycle windows in turn: busy masters; the memory takes W before AW (AXI allows it)
  // and stalls AW more; sparse requests, so that they meet an idle memory
  logic early_ok;
  int   req_pct;
  assign early_ok = ((cycle / 800) % 3) == 1;
  assign req_pct  = ((cycle / 800) % 3) == 2 ? 3 : 60;
  localparam int WbMax = 32;
  logic [31:0] wb_data [WbMax];
  logic        wb_last [WbMax];
  int          wb_n = 0, n_early = 0, n_early_last = 0;

  logic [31:0] arq_addr [QMax], awq_addr [QMax];
  logic [7:0]  arq_len [QMax], awq_len [QMax];
  logic [3:0]  arq_id [QMax], awq_id [QMax], bq_id [QMax];
  logic [1:0]  bq_resp [QMax], w_resp = 0;
  int          arq_n = 0, awq_n = 0, bq_n = 0, r_beat = 0, w_beat = 0;
  int          n_aw = 0, n_ar = 0, n_w = 0, proto_err = 0;
  int          wr_count [MemBytes / 4];

  task automatic proto(input string what);
    proto_err++;
    if (proto_err < 6) $display("  FAIL at cycle %0d: memory side: %s", cycle, what);
  endtask

  always @(posedge clk) begin : memory
    logic [31:0] w;
    if (rvalid && rready) begin
      if (r_beat == int'(arq_len[0])) begin
        for (int i = 0; i + 1 < QMax; i++) begin
          arq_addr[i] = arq_addr[i+1]; arq_len[i] = arq_len[i+1]; arq_id[i] = arq_id[i+1];
        end
        arq_n--;
        r_beat = 0;
      end else r_beat++;
    end
    if (arvalid && arready) begin
      arq_addr[arq_n] = araddr; arq_len[arq_n] = arlen; arq_id[arq_n] = arid;
      arq_n++;
      n_ar++;
    end
    if (wvalid && wready) begin
      n_w++;
      if (awq_n == 0) begin
        n_early++;
        if (wlast) n_early_last++;
      end
      if (wb_n == WbMax) proto("W beat buffer overflow");
      else begin
        wb_data[wb_n] = wdata; wb_last[wb_n] = wlast; wb_n++;
      end
    end
    if (awvalid && awready) begin
      awq_addr[awq_n] = awaddr; awq_len[awq_n] = awlen; awq_id[awq_n] = awid;
      awq_n++;
      n_aw++;
    end
    // the beats taken so far belong to the AWs taken so far, in order
    while (wb_n > 0 && awq_n > 0) begin
      w = awq_addr[0][31:2] + 32'(w_beat);
      if (err_word({w[29:0], 2'b00})) w_resp = 2'b10;
      else begin
        mem[w] = wb_data[0];
        wr_count[w]++;
      end
      if (wb_last[0] !== (w_beat == int'(awq_len[0]))) proto("WLAST not on the last beat of its AW");
      for (int i = 0; i + 1 < WbMax; i++) begin wb_data[i] = wb_data[i+1]; wb_last[i] = wb_last[i+1]; end
      wb_n--;
      if (w_beat == int'(awq_len[0])) begin
        bq_id[bq_n] = awq_id[0]; bq_resp[bq_n] = w_resp; bq_n++;
        w_resp = 2'b00;
        for (int i = 0; i + 1 < QMax; i++) begin
          awq_addr[i] = awq_addr[i+1]; awq_len[i] = awq_len[i+1]; awq_id[i] = awq_id[i+1];
        end
        awq_n--;
        w_beat = 0;
      end else w_beat++;
    end
    if (bvalid && bready) begin
      for (int i = 0; i + 1 < QMax; i++) begin bq_id[i] = bq_id[i+1]; bq_resp[i] = bq_resp[i+1]; end
      bq_n--;
    end
    arready <= arq_n < QMax - 1 && !pause();
    awready <= awq_n < QMax - 1 && !pause(early_ok ? 95 : 25);
    wready  <= (early_ok ? wb_n < WbMax - 1 : awq_n > 0) && !pause();
    if (!(rvalid && !rready)) begin
      if (arq_n > 0 && !pause()) begin
        w = arq_addr[0][31:2] + 32'(r_beat);
        rvalid <= 1'b1;
        rid    <= arq_id[0];
        rdata  <= mem[w];
        rresp  <= err_word({w[29:0], 2'b00}) ? 2'b10 : 2'b00;
        rlast  <= r_beat == int'(arq_len[0]);
      end else rvalid <= 1'b0;
    end
    if (!(bvalid && !bready)) begin
      if (bq_n > 0 && !pause()) begin
        bvalid <= 1'b1;
        bid    <= bq_id[0];
        bresp  <= bq_resp[0];
      end else bvalid <= 1'b0;
    end
  end

  // memory-side stability and round-robin
  logic        p_awv = 0, p_awr = 0, p_arv = 0, p_arr = 0, p_wv = 0, p_wr = 0;
  logic [48:0] p_aw, p_ar;
  logic [36:0] p_w;
  int          last_aw = -1, last_ar = -1, rr_err = 0, contested = 0;
  int          rl_aw = 0, rl_wlast = 0, zl_err = 0, zl_ar = 0, zl_aw = 0, zl_w = 0;
  logic [1:0]  p_sarv = '0, p_sarr = '0, p_sawv = '0, p_sawr = '0;   // per port

  task automatic zl(input string what);
    zl_err++;
    if (zl_err < 6) $display("  FAIL at cycle %0d: zero latency: %s", cycle, what);
  endtask

  always @(posedge clk) begin : rules
    if (rst_n) begin
      if (p_awv && !p_awr && (!awvalid || {awid, awaddr, awlen, awsize, awburst} !== p_aw))
        proto("AW changed while stalled");
      if (p_arv && !p_arr && (!arvalid || {arid, araddr, arlen, arsize, arburst} !== p_ar))
        proto("AR changed while stalled");
      if (p_wv && !p_wr && (!wvalid || {wdata, wstrb, wlast} !== p_w))
        proto("W changed while stalled");
      // a grant held over a stall (or over early W beats) is not a round-robin decision
      if ((s_awready[0] || s_awready[1]) && !(p_awv && !p_awr)) begin
        if (s_awvalid[0] && s_awvalid[1]) begin
          contested++;
          if ((s_awready[1] ? 1 : 0) == last_aw) rr_err++;
        end
      end
      if (s_awready[0] || s_awready[1]) last_aw = s_awready[1] ? 1 : 0;
      if ((s_arready[0] || s_arready[1]) && !(p_arv && !p_arr)) begin
        if (s_arvalid[0] && s_arvalid[1]) begin
          contested++;
          if ((s_arready[1] ? 1 : 0) == last_ar) rr_err++;
        end
      end
      if (s_arready[0] || s_arready[1]) last_ar = s_arready[1] ? 1 : 0;
      // zero added latency: an asking master's address is on m_* in the same cycle
      if ((s_arvalid[0] || s_arvalid[1]) && !arvalid) zl("AR asked but m_arvalid low");
      if (arvalid) begin
        if (!s_arvalid[arid[0]] ||
            {arid, araddr, arlen, arsize, arburst} !== {s_arid[arid[0]][3:1], arid[0],
             s_araddr[arid[0]], s_arlen[arid[0]], s_arsize[arid[0]], s_arburst[arid[0]]})
          zl("m_ar* is not an asking master's AR");
        if (s_arready[arid[0]] !== arready || s_arready[!arid[0]]) zl("ARREADY routing");
      end else if (s_arready[0] || s_arready[1]) zl("ARREADY without m_arvalid");
      if ((s_awvalid[0] || s_awvalid[1]) && rl_aw - rl_wlast < 4 && !awvalid)
        zl("AW asked, fewer than WDepth owe data, but m_awvalid low");
      if (awvalid) begin
        if (!s_awvalid[awid[0]] ||
            {awid, awaddr, awlen, awsize, awburst} !== {s_awid[awid[0]][3:1], awid[0],
             s_awaddr[awid[0]], s_awlen[awid[0]], s_awsize[awid[0]], s_awburst[awid[0]]})
          zl("m_aw* is not an asking master's AW");
        if (s_awready[awid[0]] !== awready || s_awready[!awid[0]]) zl("AWREADY routing");
        // nothing owed: the W of the master whose AW is out goes with it
        if (rl_aw == rl_wlast && s_wvalid[awid[0]]) begin
          if (!wvalid || {wdata, wstrb, wlast} !== {s_wdata[awid[0]], s_wstrb[awid[0]],
                                                      s_wlast[awid[0]]})
            zl("W of the master whose AW is on m_aw* not forwarded in the same cycle");
          else if (wready) zl_w++;
        end
      end else if (s_awready[0] || s_awready[1]) zl("AWREADY without m_awvalid");
      if (s_wready[0] && s_wready[1]) zl("WREADY to both masters");
      if ((s_wready[0] || s_wready[1]) && !wready) zl("WREADY without m_wready");
      for (int p = 0; p < 2; p++) begin
        if (s_wready[p] && s_wvalid[p] && (!wready || !wvalid ||
            {wdata, wstrb, wlast} !== {s_wdata[p], s_wstrb[p], s_wlast[p]}))
          zl($sformatf("WREADY to master %0d without its beat passing", p));
        // a new request meeting a ready memory is taken in its first cycle when it is alone
        // (counted whenever it is taken in its first cycle)
        if (s_arvalid[p] && !(p_sarv[p] && !p_sarr[p]) && arready) begin
          if (s_arready[p]) zl_ar++;
          else if (!s_arvalid[1-p]) zl("lone new AR not taken in its first cycle");
        end
        if (s_awvalid[p] && !(p_sawv[p] && !p_sawr[p]) && awready && rl_aw - rl_wlast < 4) begin
          if (s_awready[p]) zl_aw++;
          else if (!s_awvalid[1-p]) zl("lone new AW not taken in its first cycle");
        end
      end
      if (awvalid && awready) rl_aw++;
      if (wvalid && wready && wlast) rl_wlast++;
      if ((s_awready[0] && !s_awvalid[0]) || (s_awready[1] && !s_awvalid[1]) ||
          (s_awready[0] && s_awready[1]) || (s_arready[0] && s_arready[1]))
        proto("a grant to a master not asking, or to both");
    end
    p_awv <= awvalid; p_awr <= awready; p_aw <= {awid, awaddr, awlen, awsize, awburst};
    p_arv <= arvalid; p_arr <= arready; p_ar <= {arid, araddr, arlen, arsize, arburst};
    p_wv <= wvalid; p_wr <= wready; p_w <= {wdata, wstrb, wlast};
    for (int p = 0; p < 2; p++) begin
      p_sarv[p] <= s_arvalid[p]; p_sarr[p] <= s_arready[p];
      p_sawv[p] <= s_awvalid[p]; p_sawr[p] <= s_awready[p];
    end
  end

  // ------------------------------------------------------------------------------------------

  initial begin : main
    int t, bad, twice, exp_beats;
    logic [31:0] a;
    for (int i = 0; i < MemBytes / 4; i++) begin
      mem[i] = mem_word(32'(4 * i));
      wr_count[i] = 0;
    end
    repeat (3) @(negedge clk);
    rst_n = 1'b1;
    t = 0;
    while (!(m_done[0] && m_done[1]) && t < 20000) begin
      @(negedge clk);
      t++;
    end
    repeat (20) @(negedge clk);
    $display("-- two random masters, %0d bursts each way each, %0d cycles", NTr, t);
    check(m_done[0] && m_done[1], "both masters finished");
    check(m_faults[0] == 0 && m_faults[1] == 0, "every response reached its master intact");
    check(n_aw == 2 * NTr && n_ar == 2 * NTr, "every AW and AR reached memory once");
    exp_beats = 0;
    for (int p = 0; p < 2; p++)
      for (int k = 0; k < NTr; k++) exp_beats += ((k * 7 + p * 3) % 16) + 1;
    check(n_w == exp_beats, $sformatf("W beats at memory: %0d, expected %0d", n_w, exp_beats));
    check(arq_n == 0 && awq_n == 0 && bq_n == 0 && wb_n == 0 && !bvalid && !rvalid,
          "nothing left in flight");
    check(proto_err == 0, "memory side AXI rules");
    check(rr_err == 0, $sformatf("round-robin on %0d contested grants", contested));
    check(contested > 20, "both masters contended often enough to test round-robin");
    $display("-- zero latency: %0d new ARs and %0d new AWs taken in their first cycle, %0d W beats went with their AW",
             zl_ar, zl_aw, zl_w);
    check(zl_err == 0, "zero added latency on AR, AW and W");
    check(zl_ar > 20 && zl_aw > 20 && zl_w > 20, "enough same-cycle cases to test zero latency");
    $display("-- early W: %0d beats, %0d WLASTs passed before their AW", n_early, n_early_last);
    check(n_early > 20 && n_early_last > 0, "W beats and whole bursts passed before their AW");
    // memory image: each written word once with its data, errors not written, rest intact
    bad = 0;
    twice = 0;
    for (int i = 0; i < MemBytes / 4; i++) begin
      a = 32'(4 * i);
      if (wr_count[i] > 1) twice++;
    end
    for (int p = 0; p < 2; p++)
      for (int k = 0; k < NTr; k++)
        for (int b = 0; b <= (k * 7 + p * 3) % 16; b++) begin
          a = wr_base(p) + 32'(k * 64 + 4 * b);
          if (!err_word(a) && (mem[a[31:2]] !== wr_data(p, k, b) || wr_count[a[31:2]] != 1))
            bad++;
          if (err_word(a) && mem[a[31:2]] !== mem_word(a)) bad++;
          wr_count[a[31:2]] = -1;
        end
    for (int i = 0; i < MemBytes / 4; i++)
      if (wr_count[i] >= 0 && (wr_count[i] != 0 || mem[i] !== mem_word(32'(4 * i)))) bad++;
    check(twice == 0, "no word written twice");
    check(bad == 0, $sformatf("memory image (%0d words wrong)", bad));
    $display("axi_arb_tb: %0d checks, %0d failed", checks, failures);
    if (failures != 0) begin
      $display("FAIL axi_arb_tb");
      $fatal(1);
    end
    $display("PASS axi_arb_tb");
    $finish;
  end

  initial begin : watchdog
    #2ms;
    $display("FAIL axi_arb_tb: watchdog");
    $fatal(1);
  end
endmodule
