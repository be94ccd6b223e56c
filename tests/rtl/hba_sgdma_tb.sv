// hba_sgdma_tb: self-checking Icarus Verilog testbench of the HBA scatter/gather engine
// (rtl/hba/hba_sgdma.sv, docs/hba/sgdma.md) against a behavioural AXI4 memory and a
// behavioural data FIFO.
//
// The memory answers in order with seeded random READY/VALID pauses (none in the zero-latency
// cases) and answers SLVERR for beats touching an injected range. A protocol checker watches
// the engine's side of every channel: INCR, size 4, at most 16 beats, no 4 KiB crossing,
// WLAST exactly on the last beat, VALID and payload stable while stalled. The FIFO model is a
// byte stream on each side: DATA IN bytes enter from `src` at a random (or unlimited) rate,
// DATA OUT bytes leave into `sink` likewise; every case checks the bytes moved exactly (the
// FIFO stream for DATA OUT; for DATA IN the memory image of the descriptor area and of the
// data area up to 256 bytes around the elements), moved_o, desc_count_o and the end pulse.
// Two environments run one after the other: the default 64-byte FIFO (8-beat bursts, every
// case) and a 128-byte FIFO (16-beat bursts, a subset).
//
// Run: tools/run_rtl_tb.sh tests/rtl/hba_sgdma_tb.sv (make test). One PASS/FAIL line per
// case, "hba_sgdma_tb: N failed" last; exits non-zero on failure. Other seeds:
// vvp -n build/rtl_tb/hba_sgdma_tb.vvp +seed=N
`timescale 1ns / 1ps

// One environment per FIFO size; Full = 0 runs the subset that matters for the burst size.
module hba_sgdma_tb_env #(
  parameter int FifoAw = 6,
  parameter bit Full   = 1'b1
) (
  input  logic go_i,
  output logic fin_o,
  output int   failures_o
);

  localparam int FifoCap  = 1 << FifoAw;
  localparam int MemBytes = 1 << 17;          // 128 KiB of host memory
  localparam int SrcMax   = 1 << 16;
  localparam int QMax     = 16;
  localparam int LvlW     = FifoAw + 1;

  // the clock runs only while this environment is active (the other one costs nothing)
  logic clk = 1'b0, rst_n = 1'b0;
  always #5 if (go_i && !fin_o) clk = ~clk;
  int cycle = 0;
  always @(posedge clk) cycle <= cycle + 1;

  // ------------------------------------------------------------------------------------------
  // checks

  int checks = 0, failures = 0, group_fail = 0;

  task automatic check(input logic cond, input string what);
    checks++;
    if (!cond) begin
      failures++;
      group_fail++;
      if (group_fail < 10) $display("  FAIL at cycle %0d: %s", cycle, what);
    end
  endtask

  task automatic check_eq(input logic [31:0] got, input logic [31:0] exp, input string what);
    checks++;
    if (got !== exp) begin
      failures++;
      group_fail++;
      if (group_fail < 10)
        $display("  FAIL at cycle %0d: %s: got 0x%0x, expected 0x%0x", cycle, what, got, exp);
    end
  endtask

  task automatic group(input string name);
    group_fail = 0;
    $display("-- %s (FIFO %0d bytes)", name, FifoCap);
  endtask

  task automatic group_end(input string name);
    if (group_fail == 0) $display("PASS %s (cycle %0d)", name, cycle);
    else $display("FAIL %s (%0d)", name, group_fail);
  endtask

  // seeded xorshift32: rng_bp drives backpressure and FIFO rates, rng_d test data and lists
  logic [31:0] rng_bp = 32'h1234_5678, rng_d = 32'h9E37_79B9;
  function automatic logic [31:0] xs(input logic [31:0] x);
    logic [31:0] y;
    y = x ^ (x << 13);
    y = y ^ (y >> 17);
    return y ^ (y << 5);
  endfunction
  function automatic int rnd(input int n);   // 0..n-1, test data stream
    rng_d = xs(rng_d);
    return int'(rng_d % n);
  endfunction

  // ------------------------------------------------------------------------------------------
  // DUT

  logic        start = 0, dir_in = 0, drain = 0, stop = 0;
  logic [63:0] desc_addr = 0;
  logic        busy, done, list_end, err_axi, err_sg;
  logic [31:0] moved;
  logic [15:0] desc_count;
  logic [31:0] pop_data, push_data;
  logic [FifoAw:0] pop_level, push_space;
  logic        pop, push;
  logic [2:0]  pop_n, push_n;

  logic [3:0]  awid, arid, bid = 4'd1, rid = 4'd1;
  logic [31:0] awaddr, araddr, wdata, rdata = 0;
  logic [7:0]  awlen, arlen;
  logic [2:0]  awsize, arsize;
  logic [1:0]  awburst, arburst, bresp = 0, rresp = 0;
  logic        awvalid, awready = 0, wlast, wvalid, wready = 0, bvalid = 0, bready;
  logic        arvalid, arready = 0, rlast = 0, rvalid = 0, rready;
  logic [3:0]  wstrb;

  hba_sgdma #(.FifoAw(FifoAw)) dut (
    .clk_i(clk), .rst_ni(rst_n),
    .start_i(start), .dir_in_i(dir_in), .desc_addr_i(desc_addr), .drain_i(drain),
    .stop_i(stop), .busy_o(busy), .done_o(done), .list_end_o(list_end), .err_axi_o(err_axi),
    .err_sg_o(err_sg), .moved_o(moved), .desc_count_o(desc_count),
    .pop_data_i(pop_data), .pop_level_i(pop_level), .pop_o(pop), .pop_n_o(pop_n),
    .push_data_o(push_data), .push_o(push), .push_n_o(push_n), .push_space_i(push_space),
    .axi_awid_o(awid), .axi_awaddr_o(awaddr), .axi_awlen_o(awlen), .axi_awsize_o(awsize),
    .axi_awburst_o(awburst), .axi_awvalid_o(awvalid), .axi_awready_i(awready),
    .axi_wdata_o(wdata), .axi_wstrb_o(wstrb), .axi_wlast_o(wlast), .axi_wvalid_o(wvalid),
    .axi_wready_i(wready), .axi_bid_i(bid), .axi_bresp_i(bresp), .axi_bvalid_i(bvalid),
    .axi_bready_o(bready), .axi_arid_o(arid), .axi_araddr_o(araddr), .axi_arlen_o(arlen),
    .axi_arsize_o(arsize), .axi_arburst_o(arburst), .axi_arvalid_o(arvalid),
    .axi_arready_i(arready), .axi_rid_i(rid), .axi_rdata_i(rdata), .axi_rresp_i(rresp),
    .axi_rlast_i(rlast), .axi_rvalid_i(rvalid), .axi_rready_o(rready)
  );

  // ------------------------------------------------------------------------------------------
  // behavioural AXI memory: in order, up to QMax bursts queued per direction

  logic [7:0]  mem [MemBytes];
  logic [7:0]  exp_mem [MemBytes];
  int          pause_pct = 0;                 // % of cycles a channel pauses
  logic [31:0] err_lo = 0, err_hi = 0;        // beats touching [err_lo, err_hi) answer SLVERR

  function automatic logic pause();
    if (pause_pct == 0) return 1'b0;
    rng_bp = xs(rng_bp);
    return (rng_bp % 100) < pause_pct;
  endfunction

  function automatic logic in_err(input logic [31:0] word_addr);
    return word_addr + 32'd4 > err_lo && word_addr < err_hi;
  endfunction

  logic [31:0] arq_addr [QMax];
  logic [7:0]  arq_len [QMax];
  int          arq_at [QMax];                 // cycle from which its first beat may come
  int          arq_n = 0, r_beat = 0, rd_lat = 0;
  logic [31:0] awq_addr [QMax];
  logic [7:0]  awq_len [QMax];
  int          awq_n = 0, w_beat = 0;           // awq[0] is the burst taking W beats
  logic [1:0]  w_resp = 0;
  logic [1:0]  bq_resp [QMax];
  int          bq_n = 0;
  int          mem_faults = 0;

  // performance: beats and cycles while at least one burst is in flight (address handshake
  // to last data beat)
  int          inflight = 0, perf_cycles = 0, perf_beats = 0;

  always @(posedge clk) begin : axi_mem
    logic [31:0] a;
    if (inflight > 0) perf_cycles++;
    // R
    if (rvalid && rready) begin
      perf_beats++;
      if (r_beat == int'(arq_len[0])) begin
        for (int i = 0; i + 1 < QMax; i++) begin
          arq_addr[i] = arq_addr[i+1];
          arq_len[i]  = arq_len[i+1];
          arq_at[i]   = arq_at[i+1];
        end
        arq_n--;
        r_beat = 0;
        inflight--;
      end else r_beat++;
    end
    // AR
    if (arvalid && arready) begin
      arq_addr[arq_n] = araddr;
      arq_len[arq_n]  = arlen;
      arq_at[arq_n]   = cycle + rd_lat;
      arq_n++;
      inflight++;
    end
    // W (beats go to the oldest burst whose AW was taken)
    if (wvalid && wready) begin
      perf_beats++;
      a = {awq_addr[0][31:2], 2'b00} + 32'(4 * w_beat);
      if (a + 4 > MemBytes) mem_faults++;
      else if (in_err(a)) w_resp = 2'b10;
      else for (int i = 0; i < 4; i++) if (wstrb[i]) mem[a + i] = wdata[8*i +: 8];
      if (w_beat == int'(awq_len[0])) begin
        bq_resp[bq_n] = w_resp;
        bq_n++;
        w_resp = 2'b00;
        for (int i = 0; i + 1 < QMax; i++) begin
          awq_addr[i] = awq_addr[i+1];
          awq_len[i]  = awq_len[i+1];
        end
        awq_n--;
        w_beat = 0;
        inflight--;
      end else w_beat++;
    end
    // AW
    if (awvalid && awready) begin
      awq_addr[awq_n] = awaddr;
      awq_len[awq_n]  = awlen;
      awq_n++;
      inflight++;
    end
    // B
    if (bvalid && bready) begin
      for (int i = 0; i + 1 < QMax; i++) bq_resp[i] = bq_resp[i+1];
      bq_n--;
    end
    // next cycle's outputs
    arready <= (arq_n < QMax - 1) && !pause();
    awready <= (awq_n < QMax - 1) && !pause();
    wready  <= (awq_n > 0) && !pause();
    if (!(rvalid && !rready)) begin
      if (arq_n > 0 && cycle >= arq_at[0] && !pause()) begin
        a = {arq_addr[0][31:2], 2'b00} + 32'(4 * r_beat);
        rvalid <= 1'b1;
        rlast  <= (r_beat == int'(arq_len[0]));
        if (a + 4 > MemBytes) begin
          mem_faults++;
          rdata <= 32'hDEAD_BEEF;
          rresp <= 2'b11;
        end else begin
          rdata <= {mem[a+3], mem[a+2], mem[a+1], mem[a]};
          rresp <= in_err(a) ? 2'b10 : 2'b00;
        end
      end else begin
        rvalid <= 1'b0;
        rlast  <= 1'b0;
      end
    end
    if (!(bvalid && !bready)) begin
      if (bq_n > 0 && !pause()) begin
        bvalid <= 1'b1;
        bresp  <= bq_resp[0];
      end else bvalid <= 1'b0;
    end
  end

  // B: the response just taken was removed above; a B offered is always bq_resp[0]
  // (bq_n counts responses not yet taken, including the one on the bus)

  // ------------------------------------------------------------------------------------------
  // protocol checker (engine side)

  int          proto_err = 0;
  logic        p_awv = 0, p_awr = 0, p_wv = 0, p_wr = 0, p_arv = 0, p_arr = 0;
  logic [31:0] p_awaddr, p_araddr, p_wdata;
  logic [7:0]  p_awlen, p_arlen;
  logic [3:0]  p_wstrb;
  logic        p_wlast;
  logic [7:0]  chk_awlen [QMax];
  int          chk_awn = 0, chk_wbeat = 0;

  task automatic proto(input string what);
    proto_err++;
    if (proto_err < 10) $display("  FAIL at cycle %0d: AXI protocol: %s", cycle, what);
  endtask

  function automatic logic crosses_4k(input logic [31:0] addr, input logic [7:0] len);
    logic [31:0] first, last;
    first = {addr[31:2], 2'b00};
    last  = first + 32'(4 * (int'(len) + 1)) - 1;
    return first[31:12] != last[31:12];
  endfunction

  always @(posedge clk) begin : proto_chk
    if (rst_n) begin
      if (p_awv && !p_awr && (!awvalid || awaddr !== p_awaddr || awlen !== p_awlen))
        proto("AW changed while stalled");
      if (p_arv && !p_arr && (!arvalid || araddr !== p_araddr || arlen !== p_arlen))
        proto("AR changed while stalled");
      if (p_wv && !p_wr && (!wvalid || wdata !== p_wdata || wstrb !== p_wstrb ||
                            wlast !== p_wlast))
        proto("W changed while stalled");
      if (awvalid) begin
        if (awlen > 8'd15) proto("AWLEN above 15");
        if (awsize !== 3'd2 || awburst !== 2'b01 || awid !== 4'd1) proto("AW not INCR/4/ID 1");
        if (crosses_4k(awaddr, awlen)) proto($sformatf("AW crosses 4 KiB at %08x", awaddr));
      end
      if (arvalid) begin
        if (arlen > 8'd15) proto("ARLEN above 15");
        if (arsize !== 3'd2 || arburst !== 2'b01 || arid !== 4'd1) proto("AR not INCR/4/ID 1");
        if (crosses_4k(araddr, arlen)) proto($sformatf("AR crosses 4 KiB at %08x", araddr));
      end
      if (rvalid && !rready) proto("RREADY low");
      if (bvalid && !bready) proto("BREADY low");
      if (awvalid && awready) begin
        chk_awlen[chk_awn] = awlen;
        chk_awn++;
      end
      if (wvalid && wready) begin
        if (chk_awn == 0) proto("W beat without an AW");
        else begin
          if (wlast !== (chk_wbeat == int'(chk_awlen[0]))) proto("WLAST not on the last beat");
          if (chk_wbeat == int'(chk_awlen[0])) begin
            for (int i = 0; i + 1 < QMax; i++) chk_awlen[i] = chk_awlen[i+1];
            chk_awn--;
            chk_wbeat = 0;
          end else chk_wbeat++;
        end
      end
    end
    p_awv <= awvalid; p_awr <= awready; p_awaddr <= awaddr; p_awlen <= awlen;
    p_arv <= arvalid; p_arr <= arready; p_araddr <= araddr; p_arlen <= arlen;
    p_wv <= wvalid; p_wr <= wready; p_wdata <= wdata; p_wstrb <= wstrb; p_wlast <= wlast;
  end

  // ------------------------------------------------------------------------------------------
  // behavioural FIFO: DATA IN bytes come from src, DATA OUT bytes go to sink

  logic [7:0]  src [SrcMax];
  logic [7:0]  sink [SrcMax];
  int          src_len = 0, in_cnt = 0, pop_cnt = 0, out_cnt = 0, gone_cnt = 0;
  int          fill_pct = 100;                // % of cycles the SCSI side moves bytes
  int          fifo_faults = 0;
  logic        stop_seen = 1'b0;

  assign pop_level  = LvlW'(in_cnt - pop_cnt);
  assign push_space = LvlW'(FifoCap - (out_cnt - gone_cnt));
  always @(pop_cnt or in_cnt or cycle) begin
    for (int i = 0; i < 4; i++) begin
      // bytes beyond the level are garbage: the engine must not use them
      pop_data[8*i +: 8] = (pop_cnt + i < in_cnt) ? src[pop_cnt + i] : 8'hA5 ^ 8'(cycle);
    end
  end

  always @(posedge clk) begin : fifo
    int p, q, lvl, k;
    p = pop_cnt;
    q = out_cnt;
    // from the cycle of stop_i on, the FIFO must not move
    if (stop) stop_seen = 1'b1;
    if (start) stop_seen = 1'b0;
    if (stop_seen && (pop || push)) fifo_faults++;
    if (pop) begin
      if (pop_n == 3'd0 || int'(pop_n) > in_cnt - pop_cnt) fifo_faults++;
      p = pop_cnt + int'(pop_n);
    end
    if (push) begin
      if (push_n == 3'd0 || int'(push_n) > FifoCap - (out_cnt - gone_cnt)) fifo_faults++;
      for (int i = 0; i < int'(push_n); i++) if (q + i < SrcMax) sink[q + i] = push_data[8*i +: 8];
      q = out_cnt + int'(push_n);
    end
    pop_cnt <= p;
    out_cnt <= q;
    // the SCSI side: 1-4 bytes in or out in fill_pct % of the cycles
    if (fill_pct >= 100 || (rnd_bp(100) < fill_pct)) begin
      lvl = in_cnt - p;
      if (fill_pct >= 100) in_cnt <= (src_len < p + FifoCap) ? src_len : p + FifoCap;
      else begin
        k = 1 + rnd_bp(4);
        if (k > src_len - in_cnt) k = src_len - in_cnt;
        if (k > FifoCap - lvl) k = FifoCap - lvl;
        in_cnt <= in_cnt + k;
      end
      if (fill_pct >= 100) gone_cnt <= q;
      else begin
        k = 1 + rnd_bp(4);
        gone_cnt <= (gone_cnt + k < q) ? gone_cnt + k : q;
      end
    end
  end

  function automatic int rnd_bp(input int n);
    rng_bp = xs(rng_bp);
    return int'(rng_bp % n);
  endfunction

  // ------------------------------------------------------------------------------------------
  // descriptor lists

  localparam logic [31:0] DescBase = 32'h0000_0100;
  localparam logic [31:0] DataBase = 32'h0001_1000;
  localparam int          EMax     = 4200;

  logic [31:0] e_addr [EMax];
  int          e_len [EMax];
  int          n_elem = 0, total = 0;

  task automatic put32(input logic [31:0] a, input logic [31:0] v);
    for (int i = 0; i < 4; i++) mem[a + i] = v[8*i +: 8];
  endtask

  task automatic put_desc(input logic [31:0] a, input logic [63:0] addr, input logic [31:0] len,
                          input logic [31:0] flags);
    put32(a, addr[31:0]);
    put32(a + 4, addr[63:32]);
    put32(a + 8, len);
    put32(a + 12, flags);
  endtask

  // fill memory with a seeded pattern (non-periodic: stale data cannot pass)
  task automatic fill_mem;
    for (int i = 0; i < MemBytes; i++) mem[i] = 8'(rnd(256));
  endtask

  // writes the n_elem elements as a list at DescBase; a CHAIN descriptor after every
  // chain_every elements (0: none) jumps to a new list 0x400 bytes further on
  task automatic write_list(input int chain_every, input logic eol);
    logic [31:0] a;
    int          k;
    a = DescBase;
    k = 0;
    total = 0;
    for (int i = 0; i < n_elem; i++) begin
      if (chain_every != 0 && k == chain_every) begin
        put_desc(a, {32'd0, a + 32'h400}, 32'd0, 32'h2);
        a = a + 32'h400;
        k = 0;
      end
      put_desc(a, {32'd0, e_addr[i]}, 32'(e_len[i]), (eol && i == n_elem - 1) ? 32'h1 : 32'h0);
      a = a + 16;
      k++;
      total += e_len[i];
    end
  endtask

  // n elements of random length 1..maxlen at random byte addresses, each well apart
  task automatic random_elems(input int n, input int maxlen);
    logic [31:0] a;
    a = DataBase;
    n_elem = n;
    for (int i = 0; i < n; i++) begin
      a = a + 32'(rnd(40));
      e_addr[i] = a;
      e_len[i]  = 1 + rnd(maxlen);
      a = a + 32'(e_len[i]) + 32'(rnd(8));
    end
  endtask

  // ------------------------------------------------------------------------------------------
  // one walk

  typedef enum int {EndDone, EndAxi, EndSg, EndIdle, EndTimeout} end_e;
  end_e got_end;
  int   walk_cycles;
  logic saw_list_end;

  task automatic reset_fifo(input int n_src);
    src_len = n_src;
    in_cnt = 0;
    pop_cnt = 0;
    out_cnt = 0;
    gone_cnt = 0;
    for (int i = 0; i < n_src; i++) src[i] = 8'(rnd(256));
  endtask

  // runs a walk; DATA IN drains once every src byte is in the FIFO or the list ended;
  // stop_after > 0 pulses stop_i once a W/R burst is in flight after that many cycles
  task automatic walk(input logic in, input logic [63:0] daddr, input int stop_after,
                      input int limit);
    int t;
    logic drained, stopped, fin;
    int npulse;
    @(negedge clk);
    dir_in = in;
    desc_addr = daddr;
    start = 1'b1;
    @(negedge clk);
    start = 1'b0;
    t = 0;
    drained = 1'b0;
    stopped = 1'b0;
    saw_list_end = 1'b0;
    got_end = EndTimeout;
    npulse = 0;
    fin = 1'b0;
    while (t < limit && !fin) begin
      if (done || err_axi || err_sg) begin
        npulse = int'(done) + int'(err_axi) + int'(err_sg);
        if (done) got_end = EndDone;
        else if (err_axi) got_end = EndAxi;
        else got_end = EndSg;
        fin = 1'b1;
      end else if (!busy && stopped) begin
        got_end = EndIdle;
        fin = 1'b1;
      end
      if (list_end) saw_list_end = 1'b1;
      if (in && !drained && (in_cnt == src_len || list_end)) begin
        drain = 1'b1;
        drained = 1'b1;
      end
      if (stop_after > 0 && !stopped && t >= stop_after &&
          ((wvalid && !wlast) || (rvalid && !rlast))) begin
        stop = 1'b1;
        stopped = 1'b1;
      end
      if (!fin) begin
        @(negedge clk);
        drain = 1'b0;
        stop = 1'b0;
        t++;
      end
    end
    walk_cycles = t;
    check(npulse <= 1, "one end pulse at a time");
    check(!busy, "busy_o low at the end");
    // nothing may be left in flight on the bus
    repeat (3) @(negedge clk);
    check(arq_n == 0 && awq_n == 0 && bq_n == 0 && !bvalid && !rvalid,
          "every AXI transaction completed");
    check(!done && !err_axi && !err_sg, "end pulses last one cycle");
    check(mem_faults == 0, "no access outside memory");
    check(fifo_faults == 0, "FIFO pops/pushes within level/space");
    check(proto_err == 0, "AXI protocol clean");
  endtask

  // ------------------------------------------------------------------------------------------
  // expected results

  task automatic expect_out(input int nbytes);
    int k, bad;
    k = 0;
    bad = 0;
    for (int i = 0; i < n_elem && k < nbytes; i++)
      for (int j = 0; j < e_len[i] && k < nbytes; j++) begin
        if (sink[k] !== mem[e_addr[i] + j]) bad++;
        k++;
      end
    check_eq(out_cnt, nbytes, "bytes pushed into the FIFO");
    check_eq(bad, 0, "FIFO byte stream equals the elements' bytes");
  endtask

  // exp_mem = the memory before the walk with the first nbytes of src scattered in
  task automatic expect_in(input int nbytes);
    int k, bad;
    k = 0;
    for (int i = 0; i < n_elem && k < nbytes; i++)
      for (int j = 0; j < e_len[i] && k < nbytes; j++) begin
        exp_mem[e_addr[i] + j] = src[k];
        k++;
      end
    bad = 0;
    for (int i = 0; i < int'(DescBase) + 32'h2000; i++) if (mem[i] !== exp_mem[i]) bad++;
    for (int i = win_lo; i < win_hi; i++) if (mem[i] !== exp_mem[i]) bad++;
    check_eq(bad, 0, "memory image (elements written, nothing else touched)");
  endtask

  // the part of memory compared: the descriptors and 256 bytes around the elements (the
  // engine only addresses bytes derived from the elements, so a stray write lands nearby)
  int win_lo, win_hi;
  task automatic snap;
    win_lo = int'(DataBase) - 256;
    win_hi = int'(DataBase);
    for (int i = 0; i < n_elem; i++)
      if (int'(e_addr[i]) + e_len[i] + 256 > win_hi) win_hi = int'(e_addr[i]) + e_len[i] + 256;
    if (win_hi > MemBytes) win_hi = MemBytes;
    for (int i = 0; i < int'(DescBase) + 32'h2000; i++) exp_mem[i] = mem[i];
    for (int i = win_lo; i < win_hi; i++) exp_mem[i] = mem[i];
  endtask

  // DATA OUT over the current list; checks the end, moved_o, desc_count_o and the bytes
  task automatic case_out(input int ndesc);
    reset_fifo(0);
    walk(1'b0, {32'd0, DescBase}, 0, 200000);
    check(got_end == EndDone, "DATA OUT ends with done_o");
    check(list_end, "list_end_o high after the last element");
    check_eq(moved, total, "moved_o");
    if (ndesc >= 0) check_eq(desc_count, ndesc, "desc_count_o");
    expect_out(total);
  endtask

  // DATA IN of n_src bytes over the current list
  task automatic case_in(input int n_src, input int ndesc);
    int exp_n;
    exp_n = (n_src < total) ? n_src : total;
    snap;
    reset_fifo(n_src);
    walk(1'b1, {32'd0, DescBase}, 0, 200000);
    check(got_end == EndDone, "DATA IN ends with done_o");
    check_eq(moved, exp_n, "moved_o");
    if (ndesc >= 0) check_eq(desc_count, ndesc, "desc_count_o");
    check_eq(list_end, n_src >= total, "list_end_o");
    expect_in(exp_n);
    if (n_src > total) check_eq(pop_cnt, total, "bytes beyond the list stay in the FIFO");
  endtask

  // ------------------------------------------------------------------------------------------

  int max_len = 0, seed = 0;
  always @(posedge clk) begin
    if (awvalid && int'(awlen) > max_len) max_len = int'(awlen);
    if (arvalid && int'(arlen) > max_len) max_len = int'(arlen);
  end

  assign failures_o = failures;
  initial fin_o = 1'b0;

  initial begin : main
    real bpc;
    logic ok;
    wait (go_i);
    // +seed=N reseeds both streams (default: the fixed seeds above)
    if ($value$plusargs("seed=%d", seed)) begin
      rng_bp = xs(32'(seed) ^ 32'h1234_5678);
      rng_d  = xs(32'(seed) ^ 32'h9E37_79B9);
    end
    fill_mem;
    repeat (3) @(negedge clk);
    rst_n = 1'b1;
    repeat (2) @(negedge clk);

    // ---- zero-latency memory, unlimited FIFO side: throughput while bursts are in flight
    group("throughput");
    pause_pct = 0;
    fill_pct = 100;
    n_elem = 1;
    e_addr[0] = DataBase + 32'h3;
    e_len[0] = 8192 + 5;
    write_list(0, 1'b1);
    perf_cycles = 0;
    perf_beats = 0;
    case_out(1);
    bpc = real'(perf_beats) / real'(perf_cycles);
    $display("  DATA OUT: %0d beats in %0d in-flight cycles = %0.3f beats/cycle (%0d cycles total)",
             perf_beats, perf_cycles, bpc, walk_cycles);
    check(bpc >= 0.9, "DATA OUT at least 0.9 beats per cycle while a burst is in flight");
    perf_cycles = 0;
    perf_beats = 0;
    case_in(total, 1);
    bpc = real'(perf_beats) / real'(perf_cycles);
    $display("  DATA IN:  %0d beats in %0d in-flight cycles = %0.3f beats/cycle (%0d cycles total)",
             perf_beats, perf_cycles, bpc, walk_cycles);
    check(bpc >= 0.9, "DATA IN at least 0.9 beats per cycle while a burst is in flight");
    // with read latency the first beat of every burst waits; only printed
    rd_lat = 8;
    perf_cycles = 0;
    perf_beats = 0;
    case_out(1);
    $display("  DATA OUT, read latency %0d: %0.3f beats/cycle in flight (%0d cycles total)",
             rd_lat, real'(perf_beats) / real'(perf_cycles), walk_cycles);
    rd_lat = 0;
    // element boundaries: 64 elements of 64 bytes
    n_elem = 64;
    for (int i = 0; i < 64; i++) begin
      e_addr[i] = DataBase + 32'h4000 + 32'(i * 200);
      e_len[i] = 64;
    end
    write_list(0, 1'b1);
    case_out(64);
    $display("  64 x 64-byte elements, DATA OUT: %0d cycles (%0.1f per descriptor)",
             walk_cycles, real'(walk_cycles) / 64.0);
    case_in(total, 64);
    $display("  64 x 64-byte elements, DATA IN:  %0d cycles (%0.1f per descriptor)",
             walk_cycles, real'(walk_cycles) / 64.0);
    check_eq(max_len, FifoCap >= 128 ? 15 : FifoCap / 8 - 1, "longest burst: AxLEN");
    group_end("throughput");

    // from here on: random backpressure and a slow FIFO side
    pause_pct = 30;
    fill_pct = 60;

    if (Full) begin
    group("single_element");
    n_elem = 1;
    e_addr[0] = DataBase + 32'h101;
    e_len[0] = 300;
    write_list(0, 1'b1);
    case_out(1);
    case_in(300, 1);
    group_end("single_element");

    group("small_odd_elements");
    random_elems(60, 11);
    write_list(0, 1'b1);
    case_out(60);
    case_in(total, 60);
    random_elems(40, 70);
    write_list(0, 1'b1);
    case_out(40);
    case_in(total, 40);
    group_end("small_odd_elements");
    end

    group("cross_4k");
    n_elem = 2;
    e_addr[0] = DataBase + 32'h0F63;   // 301 bytes across 0x12000 at an odd address
    e_len[0] = 301;
    e_addr[1] = DataBase + 32'h2FFE;   // 3 bytes across 0x14000
    e_len[1] = 3;
    write_list(0, 1'b1);
    case_out(2);
    case_in(total, 2);
    group_end("cross_4k");

    group("chained_list");
    random_elems(30, 50);
    write_list(4, 1'b1);               // 7 chain descriptors
    case_out(37);
    case_in(total, 37);
    group_end("chained_list");

    if (Full) begin

    group("drain_partial_word");
    random_elems(8, 100);
    e_addr[0] = DataBase + 32'h2;
    write_list(0, 1'b1);
    case_in(total / 2 + 1, -1);
    check(!list_end, "list not exhausted");
    case_in(7, -1);
    case_in(1, -1);
    case_in(0, -1);                    // drained before any byte came: done, nothing written
    group_end("drain_partial_word");

    group("list_end");
    random_elems(5, 30);
    write_list(0, 1'b1);
    case_in(total + 40, 5);            // the target sends more than the list holds
    group_end("list_end");
    end

    group("random_lists");
    for (int s = 0; s < (Full ? 6 : 3); s++) begin
      pause_pct = rnd(60);
      fill_pct = 20 + rnd(81);
      random_elems(1 + rnd(30), 1 + rnd(300));
      write_list(rnd(2) ? 1 + rnd(6) : 0, 1'b1);
      if (rnd(2)) case_out(-1); else case_in(total - rnd(total / 2 + 1), -1);
    end
    pause_pct = 30;
    fill_pct = 60;
    group_end("random_lists");

    if (Full) begin

    // ---- error ends
    group("err_axi_descriptor");
    random_elems(6, 40);
    write_list(0, 1'b1);
    err_lo = DescBase + 3 * 16 + 8;    // the fourth descriptor's length word
    err_hi = err_lo + 4;
    reset_fifo(0);
    walk(1'b0, {32'd0, DescBase}, 0, 20000);
    check(got_end == EndAxi, "DATA OUT: err_axi_o");
    check(moved <= 32'(e_len[0] + e_len[1] + e_len[2]), "nothing moved past the bad descriptor");
    reset_fifo(total);
    walk(1'b1, {32'd0, DescBase}, 0, 20000);
    check(got_end == EndAxi, "DATA IN: err_axi_o");
    err_lo = 0;
    err_hi = 0;
    group_end("err_axi_descriptor");

    group("err_axi_data");
    n_elem = 2;
    e_addr[0] = DataBase + 32'h10;
    e_len[0] = 500;
    e_addr[1] = DataBase + 32'h400;
    e_len[1] = 200;
    write_list(0, 1'b1);
    err_lo = DataBase + 32'h400 + 100;
    err_hi = err_lo + 1;
    reset_fifo(0);
    walk(1'b0, {32'd0, DescBase}, 0, 20000);
    check(got_end == EndAxi, "read SLVERR: err_axi_o");
    // nothing is pushed from the errored beat on (neither the rest of its burst nor the
    // bursts in flight behind it): the FIFO holds exactly the bytes before the errored word,
    // element 0 and element 1's first 100 bytes, and moved_o counts them
    check_eq(moved, 500 + 100, "read SLVERR: moved_o = the bytes before the errored beat");
    expect_out(500 + 100);
    reset_fifo(total);
    walk(1'b1, {32'd0, DescBase}, 0, 20000);
    check(got_end == EndAxi, "write SLVERR: err_axi_o");
    // moved_o counts the bursts answered OKAY before the error response: element 0 and the
    // CapBytes-aligned bursts of element 1 below the errored byte (its burst is not counted)
    check_eq(moved, 500 + (100 / (FifoCap >= 128 ? 64 : FifoCap / 2)) *
                          (FifoCap >= 128 ? 64 : FifoCap / 2), "write SLVERR: moved_o");
    err_lo = 0;
    err_hi = 0;
    // the engine is reusable after an error
    case_out(2);
    group_end("err_axi_data");

    group("err_sg_zero_length");
    random_elems(4, 20);
    e_len[2] = 0;
    write_list(0, 1'b1);
    reset_fifo(0);
    walk(1'b0, {32'd0, DescBase}, 0, 20000);
    check(got_end == EndSg, "DATA OUT: err_sg_o");
    check_eq(moved, e_len[0] + e_len[1], "the elements before it were moved");
    expect_out(e_len[0] + e_len[1]);
    snap;
    reset_fifo(100);
    walk(1'b1, {32'd0, DescBase}, 0, 20000);
    check(got_end == EndSg, "DATA IN: err_sg_o");
    expect_in(e_len[0] + e_len[1]);
    group_end("err_sg_zero_length");

    group("err_sg_malformed");
    reset_fifo(0);
    walk(1'b0, {32'd0, DescBase + 32'h8}, 0, 2000);
    check(got_end == EndSg, "misaligned first descriptor");
    check_eq(desc_count, 0, "no descriptor read");
    walk(1'b0, 64'h1_0000_0000 | 64'(DescBase), 0, 2000);
    check(got_end == EndSg, "descriptor address above 4 GiB");
    put_desc(DescBase + 16, 64'hFFFF_FF00, 32'h101, 32'h1);
    put_desc(DescBase + 32, 64'h1_0000_0000, 32'h1, 32'h1);
    put_desc(DescBase + 48, {32'd0, DataBase}, 32'h0100_0001, 32'h1);
    put_desc(DescBase + 64, {32'd0, DescBase + 32'h4}, 32'h0, 32'h2);
    for (int i = 1; i < 5; i++) begin
      walk(1'b0, {32'd0, DescBase + 32'(16 * i)}, 0, 2000);
      check(got_end == EndSg, $sformatf("malformed descriptor %0d: err_sg_o", i));
      check_eq(moved, 0, "nothing moved");
    end
    group_end("err_sg_malformed");

    group("err_sg_runaway");
    pause_pct = 0;
    fill_pct = 100;
    n_elem = 4097;
    for (int i = 0; i < n_elem; i++) begin
      e_addr[i] = DataBase + 32'(4 * i);
      e_len[i] = 4;
    end
    write_list(0, 1'b0);               // no EOL anywhere
    reset_fifo(0);
    walk(1'b0, {32'd0, DescBase}, 0, 100000);
    check(got_end == EndSg, "4097 elements without EOL: err_sg_o");
    check_eq(desc_count, 4096, "4096 descriptors read");
    check_eq(moved, 4096 * 4, "4096 elements moved");
    expect_out(4096 * 4);
    // a CHAIN descriptor pointing at itself: 64 chains are followed, the 65th is a runaway
    put_desc(DescBase, {32'd0, DescBase}, 32'd0, 32'h2);
    walk(1'b0, {32'd0, DescBase}, 0, 10000);
    check(got_end == EndSg, "self-chained list: err_sg_o");
    check_eq(desc_count, 65, "65 CHAIN descriptors read");
    pause_pct = 30;
    fill_pct = 60;
    group_end("err_sg_runaway");

    group("stop_mid_burst");
    n_elem = 1;
    e_addr[0] = DataBase + 32'h1;
    e_len[0] = 3000;
    write_list(0, 1'b1);
    for (int k = 0; k < 2; k++) begin
      snap;
      reset_fifo(3000);
      walk(k == 0, {32'd0, DescBase}, 40 + 100 * k, 20000);
      check(got_end == EndIdle, "stop_i: busy_o falls with no end pulse");
      // DATA IN: each element byte is either untouched or the right byte; nothing else moved
      ok = 1'b1;
      for (int i = win_lo; i < win_hi; i++) begin
        if (i >= int'(e_addr[0]) && i < int'(e_addr[0]) + 3000) begin
          if (mem[i] !== exp_mem[i] && mem[i] !== src[i - int'(e_addr[0])]) ok = 1'b0;
        end else if (mem[i] !== exp_mem[i]) ok = 1'b0;
      end
      check(ok, "memory: only element bytes, only right values");
      check(int'(moved) < 3000, "stopped before the end");
      if (k == 1) begin
        expect_out(out_cnt);
        check(out_cnt <= 3000, "no pushes past the list");
      end
    end
    // and the engine works again afterwards
    case_in(3000, 1);
    group_end("stop_mid_burst");
    end

    $display("FIFO %0d bytes: %0d checks, %0d failed (%0d cycles)", FifoCap, checks, failures,
             cycle);
    fin_o = 1'b1;
  end

endmodule

// the engine with the default 64-byte FIFO (8-beat bursts, every case) and with a 128-byte
// FIFO (16-beat bursts: throughput, 4 KiB crossing, chains, random lists)
module hba_sgdma_tb;
  logic fin6, fin7;
  int   fail6, fail7;

  hba_sgdma_tb_env #(.FifoAw(6), .Full(1'b1)) u_fifo64 (
    .go_i(1'b1), .fin_o(fin6), .failures_o(fail6));
  hba_sgdma_tb_env #(.FifoAw(7), .Full(1'b0)) u_fifo128 (
    .go_i(fin6), .fin_o(fin7), .failures_o(fail7));

  initial begin : watchdog
    #200ms;
    $display("FAIL hba_sgdma_tb: watchdog (simulation did not finish)");
    $fatal(1);
  end

  initial begin
    wait (fin7);
    $display("hba_sgdma_tb: %0d failed", fail6 + fail7);
    if (fail6 + fail7 != 0) begin
      $display("FAIL hba_sgdma_tb");
      $fatal(1);
    end
    $finish;
  end
endmodule
