// sysdma_tb: self-checking testbench for rtl/sysdma (Icarus Verilog 11, -g2012).
//
// Around the DUT: a DMA clock enable (DMA_CLKDIV 10), an AXI4 memory responder with seeded
// ready/valid backpressure and error injection by address range, and one ISA-style device
// per channel (DREQ driven by the test; on DACK + IOR it drives its next item one cycle after
// it sees the strobe, on DACK + IOW it takes dma_data_o; an item is consumed at the strobe's
// rising edge). Prints PASS or FAIL and ends with $fatal on failure.
//
// Icarus note: the first transfer used to hang this bench (simulation time stopped at the
// first S4): dma8237's next-state block read a part-select of a variable it also wrote, which
// Icarus 11 puts into the block's sensitivity list; see next_addr in rtl/sysdma/dma8237.sv.
//
//   iverilog -g2012 -s sysdma_tb -o tb.vvp build/gen/sysdma_reg_pkg.sv rtl/sysdma/*.sv \
//            tests/rtl/sysdma_tb.sv && vvp -n tb.vvp

`timescale 1ns / 1ps

module sysdma_tb;

  localparam int ClkDiv = 10;
  localparam int MemBytes = 1 << 20;   // the model keeps A19-A0 (tests stay below 1 MiB)

  logic clk = 1'b0, rst_n = 1'b0;
  always #10 clk = ~clk;

  // DMA clock enable
  int   ce_cnt = 0;
  logic dma_ce;
  always_ff @(posedge clk) ce_cnt <= (ce_cnt == ClkDiv - 1) ? 0 : ce_cnt + 1;
  assign dma_ce = (ce_cnt == ClkDiv - 1);

  // DUT ports
  logic         reg_req = 1'b0, reg_we = 1'b0;
  logic [15:0]  reg_port = '0;
  logic [7:0]   reg_wdata = '0, reg_rdata;
  logic         reg_err;
  logic [3:0]   awid, arid;
  logic [31:0]  awaddr, araddr, wdata;
  logic [7:0]   awlen, arlen;
  logic [2:0]   awsize, arsize;
  logic [1:0]   awburst, arburst;
  logic         awvalid, wvalid, wlast, bready, arvalid, rready;
  logic [3:0]   wstrb;
  logic         awready = 1'b0, wready = 1'b0, arready = 1'b0;
  logic         bvalid = 1'b0, rvalid = 1'b0;
  logic [1:0]   bresp = '0, rresp = '0;
  logic [31:0]  rdata = '0;
  logic [7:0]   dreq_pin, dack_pin, eop = '0;
  logic         tc_out, ior_n, iow_n, axi_err;
  logic [15:0]  data_out;
  logic [127:0] data_in = '0;
  logic [7:0]   tc_event;

  sysdma dut (
    .clk_i(clk), .rst_ni(rst_n), .dma_ce_i(dma_ce), .hold_delay_i(8'd1),
    .reg_req_i(reg_req), .reg_we_i(reg_we), .reg_port_i(reg_port), .reg_wdata_i(reg_wdata),
    .reg_rdata_o(reg_rdata), .reg_err_o(reg_err),
    .axi_awid_o(awid), .axi_awaddr_o(awaddr), .axi_awlen_o(awlen), .axi_awsize_o(awsize),
    .axi_awburst_o(awburst), .axi_awvalid_o(awvalid), .axi_awready_i(awready),
    .axi_wdata_o(wdata), .axi_wstrb_o(wstrb), .axi_wlast_o(wlast), .axi_wvalid_o(wvalid),
    .axi_wready_i(wready), .axi_bid_i(4'd0), .axi_bresp_i(bresp), .axi_bvalid_i(bvalid),
    .axi_bready_o(bready), .axi_arid_o(arid), .axi_araddr_o(araddr), .axi_arlen_o(arlen),
    .axi_arsize_o(arsize), .axi_arburst_o(arburst), .axi_arvalid_o(arvalid),
    .axi_arready_i(arready), .axi_rid_i(4'd0), .axi_rdata_i(rdata), .axi_rresp_i(rresp),
    .axi_rlast_i(1'b1), .axi_rvalid_i(rvalid), .axi_rready_o(rready),
    .dma_dreq_i(dreq_pin), .dma_dack_o(dack_pin), .dma_eop_i(eop), .dma_tc_o(tc_out),
    .dma_ior_no(ior_n), .dma_iow_no(iow_n), .dma_data_o(data_out), .dma_data_i(data_in),
    .tc_event_o(tc_event), .axi_err_o(axi_err)
  );

  int errors = 0;
  task automatic check(input bit ok, input string what);
    if (!ok) begin
      errors++;
      $display("FAIL %0t: %s", $time, what);
    end
  endtask

  // ------------------------------------------------------------------------------------------
  // seeded PRNG (xorshift32) for data and backpressure

  int unsigned rng = 32'h1234_5678;
  function automatic int unsigned rnd();
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
  endfunction

  // ------------------------------------------------------------------------------------------
  // AXI memory responder

  logic [7:0]  mem [MemBytes];
  int          bp_percent = 30;            // chance a ready/valid is held low in a cycle
  logic [31:0] err_lo = 32'hFFFF_FFFF, err_hi = 32'hFFFF_FFFF;   // SLVERR range [lo, hi)
  logic [31:0] ar_addr_q, aw_addr_q;
  logic        ar_have = 1'b0, aw_have = 1'b0, w_have = 1'b0;
  logic [31:0] w_data_q;
  logic [3:0]  w_strb_q;
  int          axi_reads = 0, axi_writes = 0, axi_errs = 0;

  function automatic bit in_err(input logic [31:0] a);
    return a >= err_lo && a < err_hi;
  endfunction

  always_ff @(posedge clk) begin
    arready <= (rnd() % 100) >= bp_percent;
    awready <= (rnd() % 100) >= bp_percent;
    wready  <= (rnd() % 100) >= bp_percent;
    if (arvalid && arready && !ar_have) begin
      check(arlen == 0 && arburst == 2'b01 && arid == 0, "AR: single-beat INCR, ID 0");
      ar_addr_q <= araddr;
      ar_have   <= 1'b1;
      axi_reads <= axi_reads + 1;
    end
    if (ar_have && !rvalid && (rnd() % 100) >= bp_percent) begin
      rvalid <= 1'b1;
      rresp  <= in_err(ar_addr_q) ? 2'b10 : 2'b00;
      rdata  <= in_err(ar_addr_q) ? 32'hDEAD_BEEF :
                {mem[{ar_addr_q[19:2], 2'd3}], mem[{ar_addr_q[19:2], 2'd2}],
                 mem[{ar_addr_q[19:2], 2'd1}], mem[{ar_addr_q[19:2], 2'd0}]};
    end
    if (rvalid && rready) begin
      rvalid  <= 1'b0;
      ar_have <= 1'b0;
    end
    if (awvalid && awready && !aw_have) begin
      check(awlen == 0 && awburst == 2'b01 && awid == 0, "AW: single-beat INCR, ID 0");
      aw_addr_q <= awaddr;
      aw_have   <= 1'b1;
    end
    if (wvalid && wready && !w_have) begin
      check(wlast, "W: WLAST on the single beat");
      w_data_q <= wdata;
      w_strb_q <= wstrb;
      w_have   <= 1'b1;
    end
    if (aw_have && w_have && !bvalid && (rnd() % 100) >= bp_percent) begin
      if (in_err(aw_addr_q)) begin
        bresp <= 2'b10;
      end else begin
        bresp <= 2'b00;
        for (int i = 0; i < 4; i++) begin
          if (w_strb_q[i]) mem[{aw_addr_q[19:2], 2'(i)}] <= w_data_q[8*i +: 8];
        end
      end
      bvalid     <= 1'b1;
      axi_writes <= axi_writes + 1;
    end
    if (bvalid && bready) begin
      bvalid  <= 1'b0;
      aw_have <= 1'b0;
      w_have  <= 1'b0;
    end
    if (axi_err) axi_errs <= axi_errs + 1;
  end

  // ------------------------------------------------------------------------------------------
  // devices, one per channel

  logic       dreq_low = 1'b0, dack_high = 1'b0;   // must match the command register
  logic [7:0] dreq_act = '0;                       // the devices' requests (logical)
  logic [7:0] dack_act;
  logic [15:0] dsrc [8][256];
  logic [15:0] dsink [8][256];
  int          src_idx [8], sink_idx [8], tc_count [8], dack_seen [8];
  logic [7:0]  ior_seen = '0, iow_seen = '0;
  logic [15:0] iow_data [8];
  int          tc_pin_count = 0;

  assign dreq_pin = dreq_low ? ~dreq_act : dreq_act;
  assign dack_act = dack_high ? dack_pin : ~dack_pin;

  initial begin
    for (int n = 0; n < 8; n++) begin
      src_idx[n] = 0; sink_idx[n] = 0; tc_count[n] = 0; dack_seen[n] = 0;
    end
  end

  logic tc_out_q = 1'b0;
  always_ff @(posedge clk) begin
    tc_out_q <= tc_out;
    if (tc_out && !tc_out_q) tc_pin_count <= tc_pin_count + 1;
    for (int n = 0; n < 8; n++) begin
      if (tc_event[n]) tc_count[n] <= tc_count[n] + 1;
      if (dack_act[n]) dack_seen[n] <= dack_seen[n] + 1;
      // device -> memory: drive the next item while IOR is low, consume it when IOR rises
      if (!ior_n && dack_act[n]) begin
        data_in[16*n +: 16] <= dsrc[n][src_idx[n] % 256];
        ior_seen[n] <= 1'b1;
      end else if (ior_n && ior_seen[n]) begin
        ior_seen[n] <= 1'b0;
        src_idx[n]  <= src_idx[n] + 1;
        data_in[16*n +: 16] <= 16'hXXXX;   // the bus floats between strobes
      end
      // memory -> device: take the data while IOW is low, store it when IOW rises
      if (!iow_n && dack_act[n]) begin
        iow_data[n] <= data_out;
        iow_seen[n] <= 1'b1;
      end else if (iow_n && iow_seen[n]) begin
        iow_seen[n] <= 1'b0;
        dsink[n][sink_idx[n] % 256] <= iow_data[n];
        sink_idx[n] <= sink_idx[n] + 1;
      end
    end
  end

  function automatic int ones8(input logic [7:0] x);
    int k;
    k = 0;
    for (int i = 0; i < 8; i++) k += int'(x[i]);
    return k;
  endfunction

  // DACK must never be active on two channels, and strobes never without a DACK
  always_ff @(posedge clk) begin
    if (rst_n) begin
      if (ones8(dack_act & 8'hEF) > 1) begin
        check(1'b0, $sformatf("at most one DACK (besides the cascade): pins %b", dack_pin));
      end
      if (!ior_n || !iow_n) check((dack_act & 8'hEF) != 0, "strobe without DACK");
      check(!(!ior_n && !iow_n), "IOR and IOW together");
    end
  end

  // ------------------------------------------------------------------------------------------
  // register access (one request cycle, response registered in the next)

  task automatic io(input bit we, input logic [15:0] port, input logic [7:0] d,
                    output logic [7:0] q, output logic err);
    @(negedge clk);
    reg_req = 1'b1; reg_we = we; reg_port = port; reg_wdata = d;
    @(negedge clk);
    reg_req = 1'b0; reg_we = 1'b0;
    q = reg_rdata;
    err = reg_err;
  endtask

  task automatic outb(input logic [15:0] port, input logic [7:0] d);
    logic [7:0] q;
    logic e;
    io(1'b1, port, d, q, e);
    check(!e, $sformatf("outb 0x%02h: unexpected error", port));
  endtask

  task automatic inb(input logic [15:0] port, output logic [7:0] q);
    logic e;
    io(1'b0, port, 8'h00, q, e);
    check(!e, $sformatf("inb 0x%02h: unexpected error", port));
  endtask

  task automatic expect_in(input logic [15:0] port, input logic [7:0] want, input string what);
    logic [7:0] q;
    inb(port, q);
    check(q === want, $sformatf("%s: port 0x%02h read 0x%02h, want 0x%02h", what, port, q, want));
  endtask

  task automatic expect_err(input bit we, input logic [15:0] port);
    logic [7:0] q;
    logic e;
    io(we, port, 8'h5A, q, e);
    check(e === 1'b1, $sformatf("port 0x%03h (%s) must answer an error", port, we ? "w" : "r"));
  endtask

  // ports: controller c register r (0-15)
  function automatic logic [15:0] dport(input int c, input int r);
    return c == 0 ? 16'(r) : 16'(16'hC0 + 2 * r);
  endfunction
  function automatic logic [15:0] page_port(input int ch);
    case (ch)
      0: return 16'h87;  1: return 16'h83;  2: return 16'h81;  3: return 16'h82;
      5: return 16'h8B;  6: return 16'h89;  7: return 16'h8A;
      default: return 16'h8F;
    endcase
  endfunction

  // PC HAL sequence: mask, clear flip-flop, mode, address, page, count, unmask
  task automatic prog_chan(input int ch, input logic [31:0] phys, input int units,
                         input logic [7:0] mode_hi);
    int c, r;
    logic [15:0] a, n;
    c = ch / 4;
    r = ch % 4;
    a = (c == 1) ? 16'(phys >> 1) : 16'(phys);
    n = 16'(units - 1);
    outb(dport(c, 10), 8'(4 | r));
    outb(dport(c, 12), 8'h00);
    outb(dport(c, 11), mode_hi | 8'(r));
    outb(dport(c, 2 * r), a[7:0]);
    outb(dport(c, 2 * r), a[15:8]);
    outb(page_port(ch), phys[23:16]);
    outb(dport(c, 2 * r + 1), n[7:0]);
    outb(dport(c, 2 * r + 1), n[15:8]);
    outb(dport(c, 10), 8'(r));
  endtask

  task automatic read16(input int ch, input int is_count, output logic [15:0] v);
    int c, r;
    logic [7:0] lo, hi;
    c = ch / 4;
    r = ch % 4;
    outb(dport(c, 12), 8'h00);
    inb(dport(c, 2 * r + is_count), lo);
    inb(dport(c, 2 * r + is_count), hi);
    v = {hi, lo};
  endtask

  task automatic bios_init;
    outb(16'h0D, 8'h00);
    outb(16'hDA, 8'h00);
    outb(16'h08, 8'h00);
    outb(16'hD0, 8'h00);
    outb(16'hD6, 8'hC0);   // channel 4: cascade
    outb(16'hD4, 8'h00);   // unmask channel 4
  endtask

  task automatic wait_tc(input int ch, input int want, input int max_cycles, input string what);
    int i;
    i = 0;
    while (tc_count[ch] < want && i < max_cycles) begin
      @(posedge clk);
      i++;
    end
    check(tc_count[ch] >= want, $sformatf("%s: timeout waiting for TC on channel %0d", what, ch));
    repeat (4 * ClkDiv) @(posedge clk);
  endtask

  function automatic logic [7:0] mb(input logic [31:0] a);
    return mem[a[19:0]];
  endfunction

  // ------------------------------------------------------------------------------------------

  localparam logic [7:0] MDemand = 8'h00, MSingle = 8'h40, MBlock = 8'h80;
  localparam logic [7:0] TVerify = 8'h00, TWrite = 8'h04, TRead = 8'h08;
  localparam logic [7:0] MAuto = 8'h10, MDec = 8'h20;

  logic [7:0]  q;
  logic [15:0] v;
  logic [7:0]  srcb [64];
  int          prev_n;
  logic [7:0]  after5;

  initial begin
    for (int i = 0; i < MemBytes; i++) mem[i] = 8'(rnd());
    for (int n = 0; n < 8; n++) begin
      for (int k = 0; k < 256; k++) dsrc[n][k] = 16'(rnd());
    end
    repeat (3) @(posedge clk);
    rst_n = 1'b1;
    repeat (3) @(posedge clk);

    // ---- registers
    $display("%0t: registers", $time);
    bios_init();
    outb(16'h0C, 8'h00);
    outb(16'h04, 8'h34);
    outb(16'h04, 8'h12);
    outb(16'h0C, 8'h00);
    expect_in(16'h04, 8'h34, "flip-flop: address 2 low");
    expect_in(16'h04, 8'h12, "flip-flop: address 2 high");
    // one flip-flop for all address/count registers of a controller
    outb(16'h0C, 8'h00);
    outb(16'h05, 8'h78);   // count 2 low, flip-flop -> high
    outb(16'h04, 8'h56);   // address 2 high
    outb(16'h05, 8'h9A);   // count 2 low again (flip-flop back at low)
    outb(16'h05, 8'hBC);
    outb(16'h0C, 8'h00);
    expect_in(16'h04, 8'h34, "shared flip-flop: address low kept");
    expect_in(16'h04, 8'h56, "shared flip-flop: address high written out of order");
    expect_in(16'h05, 8'h9A, "shared flip-flop: count low");
    expect_in(16'h05, 8'hBC, "shared flip-flop: count high");
    // controller 2 on even ports
    outb(16'hD8, 8'h00);
    outb(16'hC8, 8'hEF);
    outb(16'hC8, 8'hBE);
    outb(16'hD8, 8'h00);
    expect_in(16'hC8, 8'hEF, "controller 2 address 6 low");
    expect_in(16'hC8, 8'hBE, "controller 2 address 6 high");
    // write-only registers read 0xFF without an error
    for (int r = 9; r <= 15; r++) begin
      if (r != 13) begin
        expect_in(dport(0, r), 8'hFF, "write-only register reads 0xFF");
        expect_in(dport(1, r), 8'hFF, "write-only register reads 0xFF");
      end
    end
    expect_in(16'h08, 8'h00, "status after reset");
    expect_in(16'h0D, 8'h00, "temporary after reset");
    // page latches
    for (int p = 8'h80; p <= 8'h8F; p++) outb(16'(p), 8'(p ^ 8'h5A));
    for (int p = 8'h80; p <= 8'h8F; p++) expect_in(16'(p), 8'(p ^ 8'h5A), "page latch");
    // ports without a register
    expect_err(1'b0, 16'h10);
    expect_err(1'b1, 16'h1F);
    expect_err(1'b0, 16'hC1);
    expect_err(1'b1, 16'hC3);
    expect_err(1'b0, 16'hDF);
    expect_err(1'b0, 16'hBF);
    expect_err(1'b0, 16'hE0);
    expect_err(1'b0, 16'h90);
    expect_err(1'b0, 16'h0100);
    expect_err(1'b1, 16'h0480);
    expect_in(16'h8A, 8'h8A ^ 8'h5A, "an error write changed nothing");

    // ---- single-mode memory -> device, channel 1
    $display("%0t: single-mode memory -> device, channel 1", $time);
    prog_chan(1, 32'h0002_1000, 16, MSingle | TRead);
    dreq_act[1] = 1'b1;
    wait_tc(1, 1, 200000, "single read ch1");
    dreq_act[1] = 1'b0;
    check(sink_idx[1] == 16, $sformatf("ch1: %0d bytes reached the device, want 16",
                                       sink_idx[1]));
    for (int i = 0; i < 16; i++) begin
      check(dsink[1][i][7:0] === mb(32'h21000 + i),
            $sformatf("ch1 byte %0d: device got 0x%02h, memory 0x%02h", i, dsink[1][i][7:0],
                      mb(32'h21000 + i)));
    end
    read16(1, 0, v);
    check(v == 16'h1010, $sformatf("ch1 current address 0x%04h, want 0x1010", v));
    read16(1, 1, v);
    check(v == 16'hFFFF, $sformatf("ch1 current count 0x%04h, want 0xFFFF", v));
    inb(16'h08, q);
    check(q[3:0] == 4'b0010, $sformatf("status TC bits 0x%01h after ch1 TC", q[3:0]));
    expect_in(16'h08, 8'h00, "status TC cleared by the read");
    check(tc_pin_count == 1, "one EOP-out pulse");
    // the channel masked itself at TC: a new request does nothing
    prev_n = sink_idx[1];
    dreq_act[1] = 1'b1;
    repeat (50 * ClkDiv) @(posedge clk);
    dreq_act[1] = 1'b0;
    check(sink_idx[1] == prev_n, "ch1 masked after TC (no autoinit)");

    // ---- block device -> memory, channel 5 (16-bit)
    $display("%0t: block device -> memory, channel 5 (16-bit)", $time);
    after5 = mb(32'h42020);
    prog_chan(5, 32'h0004_2000, 16, MBlock | TWrite);
    dreq_act[5] = 1'b1;
    while (!dack_act[5]) @(posedge clk);
    dreq_act[5] = 1'b0;   // block mode: DREQ need only last until DACK
    wait_tc(5, 1, 200000, "block write ch5");
    check(src_idx[5] == 16, $sformatf("ch5: %0d words taken from the device, want 16",
                                      src_idx[5]));
    for (int i = 0; i < 16; i++) begin
      check({mb(32'h42000 + 2 * i + 1), mb(32'h42000 + 2 * i)} === dsrc[5][i],
            $sformatf("ch5 word %0d: memory 0x%02h%02h, device 0x%04h", i,
                      mb(32'h42000 + 2 * i + 1), mb(32'h42000 + 2 * i), dsrc[5][i]));
    end
    check(mb(32'h42020) === after5, "ch5 wrote nothing past its count");
    inb(16'hD0, q);
    check(q[3:0] == 4'b0010, $sformatf("controller 2 status TC 0x%01h after ch5 TC", q[3:0]));
    expect_in(16'hD0, 8'h00, "controller 2 status cleared by the read");

    // ---- autoinit, demand mode, channel 2
    $display("%0t: autoinit, demand mode, channel 2", $time);
    prog_chan(2, 32'h0003_0100, 4, MDemand | TRead | MAuto);
    dreq_act[2] = 1'b1;
    wait_tc(2, 2, 400000, "autoinit ch2");
    dreq_act[2] = 1'b0;
    repeat (20 * ClkDiv) @(posedge clk);
    check(sink_idx[2] >= 8, $sformatf("ch2 autoinit: %0d bytes", sink_idx[2]));
    for (int i = 0; i < 8; i++) begin
      check(dsink[2][i][7:0] === mb(32'h30100 + (i % 4)),
            $sformatf("ch2 autoinit byte %0d: 0x%02h, want 0x%02h", i, dsink[2][i][7:0],
                      mb(32'h30100 + (i % 4))));
    end
    prev_n = sink_idx[2];
    // mask clear after TC with autoinit: the channel keeps running when DREQ returns
    dreq_act[2] = 1'b1;
    wait_tc(2, 3, 400000, "autoinit ch2 third round");
    dreq_act[2] = 1'b0;
    repeat (20 * ClkDiv) @(posedge clk);
    check(sink_idx[2] > prev_n, "ch2 stays unmasked after an autoinit TC");
    outb(16'h0A, 8'h06);   // mask channel 2 before reading its registers
    read16(2, 0, v);
    check(v[15:8] == 8'h01, $sformatf("ch2 address 0x%04h in its 4-byte window", v));
    inb(16'h08, q);
    check(q[2] == 1'b1, "status TC bit 2 after autoinit TC");

    // ---- memory-to-memory, channels 0 -> 1
    $display("%0t: memory-to-memory, channels 0 -> 1", $time);
    for (int i = 0; i < 24; i++) srcb[i] = mb(32'h50100 + i);
    prog_chan(0, 32'h0005_0100, 24, MBlock | TRead);
    prog_chan(1, 32'h0006_0200, 24, MBlock | TWrite);
    outb(16'h08, 8'h01);   // memory-to-memory enable
    outb(16'h09, 8'h04);   // software request, channel 0
    wait_tc(1, 2, 400000, "memory-to-memory");
    for (int i = 0; i < 24; i++) begin
      check(mb(32'h60200 + i) === srcb[i],
            $sformatf("mem2mem byte %0d: 0x%02h, want 0x%02h", i, mb(32'h60200 + i), srcb[i]));
    end
    expect_in(16'h0D, srcb[23], "temporary register holds the last byte moved");
    inb(16'h08, q);
    check(q[1] == 1'b1, "status TC bit 1 after memory-to-memory");
    read16(1, 0, v);
    check(v == 16'h0218, $sformatf("ch1 address after mem2mem 0x%04h, want 0x0218", v));

    // ---- memory-to-memory with channel 0 address hold (fill)
    $display("%0t: memory-to-memory with channel 0 address hold (fill)", $time);
    prog_chan(0, 32'h0005_0300, 20, MBlock | TRead);
    prog_chan(1, 32'h0006_0400, 20, MBlock | TWrite);
    outb(16'h08, 8'h03);   // memory-to-memory + channel 0 address hold
    outb(16'h09, 8'h04);
    wait_tc(1, 3, 400000, "memory-to-memory fill");
    for (int i = 0; i < 20; i++) begin
      check(mb(32'h60400 + i) === mb(32'h50300),
            $sformatf("fill byte %0d: 0x%02h, want 0x%02h", i, mb(32'h60400 + i), mb(32'h50300)));
    end
    read16(0, 0, v);
    check(v == 16'h0300, $sformatf("ch0 address held at 0x%04h", v));
    outb(16'h08, 8'h00);

    // ---- AXI error on a read transfer: the device gets all ones, axi_err pulses
    $display("%0t: AXI error on a read transfer: the device gets all ones, axi_err pulses", $time);
    err_lo = 32'h0003_8000;
    err_hi = 32'h0003_8002;
    prog_chan(3, 32'h0003_8000, 4, MBlock | TRead);
    dreq_act[3] = 1'b1;
    while (!dack_act[3]) @(posedge clk);
    dreq_act[3] = 1'b0;
    wait_tc(3, 1, 200000, "AXI error ch3");
    check(axi_errs == 2, $sformatf("axi_err pulses %0d, want 2", axi_errs));
    check(sink_idx[3] == 4, "ch3 transfer went on after the error");
    check(dsink[3][0][7:0] == 8'hFF && dsink[3][1][7:0] == 8'hFF, "error read gives 0xFF");
    check(dsink[3][2][7:0] === mb(32'h38002), "ch3 byte after the error range");
    err_lo = 32'hFFFF_FFFF;

    check(tc_count[4] == 0, "channel 4 never reports TC");
    $display("sysdma_tb: %0d AXI reads, %0d AXI writes", axi_reads, axi_writes);
    if (errors != 0) begin
      $display("FAIL sysdma_tb: %0d check(s) failed", errors);
      $fatal(1);
    end
    $display("PASS sysdma_tb");
    $finish;
  end

  initial begin
    #20ms;
    $display("FAIL sysdma_tb: global timeout");
    $fatal(1);
  end

endmodule
