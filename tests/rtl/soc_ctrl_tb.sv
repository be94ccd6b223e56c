// soc_ctrl_tb: self-checking Icarus Verilog testbench of soc_ctrl through soc_top's APB port.
// Proves the rules of docs/soc.md: one APB wait state, PSLVERR on every unmapped address
// (nothing changes), register resets and byte strobes, IRQ_STATUS write-1-to-clear with
// "set wins", the TIMER exact-cycle rule and read-back, the DMA clock enable period and its
// clean change, irq_o, and aborted APB transfers.
//
// Run: tools/run_rtl_tb.sh tests/rtl/soc_ctrl_tb.sv (make test). Prints one PASS/FAIL line per
// check group and a last line "soc_ctrl_tb: N checks, N failed".
//
// Cycle convention: `cycle` counts rising edges; an event "at edge k" is a register change at
// the rising edge after which cycle == k. Inputs change and outputs are sampled at falling
// edges, so nothing races the clock.
`timescale 1ns / 1ps

module soc_ctrl_tb;

  localparam logic [31:0] Base = soc_ctrl_reg_pkg::SOC_CTRL_BASE;
  localparam logic [31:0] AId = Base + soc_ctrl_reg_pkg::SOC_CTRL_ID;
  localparam logic [31:0] AVersion = Base + soc_ctrl_reg_pkg::SOC_CTRL_VERSION;
  localparam logic [31:0] AScratch = Base + soc_ctrl_reg_pkg::SOC_CTRL_SCRATCH;
  localparam logic [31:0] AClkdiv = Base + soc_ctrl_reg_pkg::SOC_CTRL_DMA_CLKDIV;
  localparam logic [31:0] AHold = Base + soc_ctrl_reg_pkg::SOC_CTRL_HOLD_DELAY;
  localparam logic [31:0] AStatus = Base + soc_ctrl_reg_pkg::SOC_CTRL_IRQ_STATUS;
  localparam logic [31:0] AEnable = Base + soc_ctrl_reg_pkg::SOC_CTRL_IRQ_ENABLE;
  localparam logic [31:0] ATimer = Base + soc_ctrl_reg_pkg::SOC_CTRL_TIMER;
  localparam logic [31:0] TimerBit = 32'h100;
  localparam logic [31:0] AxiBit = 32'h200;

  logic clk = 1'b0, rst_n = 1'b0;
  always #10 clk = ~clk;    // 50 MHz

  // APB master
  logic        psel = 0, penable = 0, pwrite = 0;
  logic [31:0] paddr = 0, pwdata = 0;
  logic [3:0]  pstrb = 0;
  logic [31:0] prdata;
  logic        pready, pslverr;
  // AXI slave side: idle, always ready
  logic [7:0]  irq;
  logic [7:0]  dma_dack;
  logic        dma_tc, dma_ior_n, dma_iow_n;
  logic [15:0] dma_data_out;
  logic [3:0]  awid, arid;
  logic [31:0] awaddr, araddr, wdata;
  logic [7:0]  awlen, arlen;
  logic [2:0]  awsize, arsize;
  logic [1:0]  awburst, arburst;
  logic        awvalid, wlast, wvalid, bready, arvalid, rready;
  logic [3:0]  wstrb;

  soc_top dut (
    .clk_i(clk), .rst_ni(rst_n),
    .apb_psel_i(psel), .apb_penable_i(penable), .apb_pwrite_i(pwrite), .apb_paddr_i(paddr),
    .apb_pprot_i(3'b000), .apb_pwdata_i(pwdata), .apb_pstrb_i(pstrb),
    .apb_prdata_o(prdata), .apb_pready_o(pready), .apb_pslverr_o(pslverr),
    .axi_awid_o(awid), .axi_awaddr_o(awaddr), .axi_awlen_o(awlen), .axi_awsize_o(awsize),
    .axi_awburst_o(awburst), .axi_awvalid_o(awvalid), .axi_awready_i(1'b1),
    .axi_wdata_o(wdata), .axi_wstrb_o(wstrb), .axi_wlast_o(wlast), .axi_wvalid_o(wvalid),
    .axi_wready_i(1'b1),
    .axi_bid_i(4'h0), .axi_bresp_i(2'b00), .axi_bvalid_i(1'b0), .axi_bready_o(bready),
    .axi_arid_o(arid), .axi_araddr_o(araddr), .axi_arlen_o(arlen), .axi_arsize_o(arsize),
    .axi_arburst_o(arburst), .axi_arvalid_o(arvalid), .axi_arready_i(1'b1),
    .axi_rid_i(4'h0), .axi_rdata_i(32'h0), .axi_rresp_i(2'b00), .axi_rlast_i(1'b0),
    .axi_rvalid_i(1'b0), .axi_rready_o(rready),
    .irq_o(irq),
    .dma_dreq_i(8'h00), .dma_dack_o(dma_dack), .dma_eop_i(8'h00), .dma_tc_o(dma_tc),
    .dma_ior_no(dma_ior_n), .dma_iow_no(dma_iow_n), .dma_data_o(dma_data_out),
    .dma_data_i(128'h0),
    .scsi_hba_o(), .scsi_tgt_i(18'h0), .scsi_bus_o()
  );

  // ---------------------------------------------------------------------------------------
  // Bookkeeping

  int cycle = 0;
  always @(posedge clk) cycle <= cycle + 1;

  int checks = 0, failures = 0, group_fail = 0;

  task automatic check(input logic cond, input string what);
    checks++;
    if (!cond) begin
      failures++;
      group_fail++;
      $display("  FAIL at cycle %0d: %s", cycle, what);
    end
  endtask

  task automatic check_eq(input logic [31:0] got, input logic [31:0] exp, input string what);
    checks++;
    if (got !== exp) begin
      failures++;
      group_fail++;
      $display("  FAIL at cycle %0d: %s: got 0x%08x, expected 0x%08x", cycle, what, got, exp);
    end
  endtask

  task automatic group(input string name);
    group_fail = 0;
    $display("-- %s", name);
  endtask

  task automatic group_end(input string name);
    if (group_fail == 0) $display("PASS %s", name);
    else $display("FAIL %s (%0d)", name, group_fail);
  endtask

  // irq_o[0] rising edges and dma_ce pulses, sampled at falling edges
  int irq_rises[$];          // edges at which irq_o[0] rose
  logic irq_prev = 1'b0;
  int ce_edges[$];
  always @(negedge clk) begin
    if (irq[0] && !irq_prev) irq_rises.push_back(cycle);
    irq_prev = irq[0];
    if (dut.dma_ce) ce_edges.push_back(cycle);
  end

  function automatic int first_rise();
    return irq_rises.size() > 0 ? irq_rises[0] : -1;
  endfunction

  // ---------------------------------------------------------------------------------------
  // APB master: setup, access (PREADY must be low: the wait state), access (PREADY high).
  // req_edge: the edge that samples the block request (end of the first access cycle).

  task automatic apb(input logic wr, input logic [31:0] addr, input logic [31:0] data,
                     input logic [3:0] strb, output logic [31:0] rdata, output logic err,
                     output int req_edge);
    @(negedge clk);
    psel = 1; penable = 0; pwrite = wr; paddr = addr; pwdata = wr ? data : 32'h0;
    pstrb = wr ? strb : 4'h0;
    @(negedge clk);
    penable = 1;
    #1;
    check(pready === 1'b0, $sformatf("PREADY low in the first access cycle (addr %08x)", addr));
    req_edge = cycle + 1;
    @(negedge clk);
    check(pready === 1'b1, $sformatf("PREADY high in the second access cycle (addr %08x)", addr));
    rdata = prdata;
    err = pslverr;
    @(negedge clk);   // the transfer completed at the edge before this
    psel = 0; penable = 0; pwrite = 0; pwdata = 0; pstrb = 0;
    #1;
    check(pready === 1'b0, "PREADY low after the transfer");
  endtask

  task automatic wr32(input logic [31:0] addr, input logic [31:0] data, output int req_edge);
    logic [31:0] rd;
    logic err;
    apb(1'b1, addr, data, 4'hF, rd, err, req_edge);
    check(err === 1'b0, $sformatf("write %08x: no PSLVERR", addr));
  endtask

  task automatic wr(input logic [31:0] addr, input logic [31:0] data);
    int e;
    wr32(addr, data, e);
  endtask

  task automatic rd32(input logic [31:0] addr, output logic [31:0] data, output int req_edge);
    logic err;
    apb(1'b0, addr, 32'h0, 4'h0, data, err, req_edge);
    check(err === 1'b0, $sformatf("read %08x: no PSLVERR", addr));
  endtask

  task automatic expect_rd(input logic [31:0] addr, input logic [31:0] exp, input string what);
    logic [31:0] v;
    int e;
    rd32(addr, v, e);
    check_eq(v, exp, what);
  endtask

  task automatic expect_slverr(input logic w, input logic [31:0] addr, input logic [3:0] strb,
                               input string what);
    logic [31:0] v;
    logic err;
    int e;
    apb(w, addr, 32'hFFFF_FFFF, strb, v, err, e);
    check(err === 1'b1, {what, ": PSLVERR"});
    check_eq(v, 32'h0, {what, ": PRDATA 0 with the error"});
  endtask

  logic [7:0] ev_tc = '0;     // what pulse_events forces (force takes no automatic variable)
  logic       ev_axi = 1'b0;
  task automatic pulse_events(input logic [7:0] tc, input logic axi);
    // one-cycle pulses on soc_ctrl's event inputs, seen at the next edge
    @(negedge clk);
    ev_tc = tc;
    ev_axi = axi;
    force dut.tc_event = ev_tc;
    force dut.axi_err = ev_axi;
    @(negedge clk);
    release dut.tc_event;
    release dut.axi_err;
  endtask

  // ---------------------------------------------------------------------------------------

  initial begin : watchdog
    #5ms;
    $display("FAIL soc_ctrl_tb: watchdog (simulation did not finish)");
    $finish;
  end

  initial begin : main
    logic [31:0] v;
    logic err;
    int e, e2, r;

    repeat (3) @(negedge clk);
    rst_n = 1;
    repeat (2) @(negedge clk);

    // -------------------------------------------------------------------------------------
    group("reset_values");
    expect_rd(AId, 32'h4842_5349, "ID reads \"HBSI\"");
    expect_rd(AVersion, 32'h0000_0100, "VERSION 0.1.0");
    expect_rd(AScratch, 32'h0, "SCRATCH reset");
    expect_rd(AClkdiv, 32'd10, "DMA_CLKDIV reset 10");
    expect_rd(AHold, 32'd1, "HOLD_DELAY reset 1");
    expect_rd(AStatus, 32'h0, "IRQ_STATUS reset");
    expect_rd(AEnable, 32'h0, "IRQ_ENABLE reset");
    expect_rd(ATimer, 32'h0, "TIMER idle");
    check_eq({24'h0, irq}, 32'h0, "irq_o all low after reset");
    check_eq({24'h0, dut.hold_delay}, 32'd1, "hold_delay_o = HOLD_DELAY");
    group_end("reset_values");

    // -------------------------------------------------------------------------------------
    group("apb_one_wait_state");
    // apb() itself checks PREADY low in the first access cycle and high in the second for
    // every transfer of this bench; here the response data arrives with that PREADY.
    wr(AScratch, 32'hDEAD_BEEF);
    expect_rd(AScratch, 32'hDEAD_BEEF, "SCRATCH read-back with the PREADY cycle");
    // back-to-back: the next setup phase directly after the completing cycle
    wr(AScratch, 32'h1357_9BDF);
    expect_rd(AScratch, 32'h1357_9BDF, "SCRATCH back-to-back");
    group_end("apb_one_wait_state");

    // -------------------------------------------------------------------------------------
    group("byte_strobes");
    begin
      logic [31:0] rdv;
      wr(AScratch, 32'h1122_3344);
      apb(1'b1, AScratch, 32'hAABB_CCDD, 4'b0101, rdv, err, e);
      check(!err, "strobed write accepted");
      expect_rd(AScratch, 32'h11BB_33DD, "SCRATCH: only bytes 0 and 2 written");
      apb(1'b1, AScratch + 32'd3, 32'hEE00_0000, 4'b1000, rdv, err, e);
      expect_rd(AScratch, 32'hEEBB_33DD, "SCRATCH: byte 3 written at offset+3");
      apb(1'b1, AClkdiv, 32'hFFFF_FF07, 4'b1110, rdv, err, e);
      expect_rd(AClkdiv, 32'd10, "DMA_CLKDIV: write without byte 0 changes nothing");
      wr(AId, 32'h0);
      expect_rd(AId, 32'h4842_5349, "ID: writes ignored");
      wr(AVersion, 32'hFFFF_FFFF);
      expect_rd(AVersion, 32'h0000_0100, "VERSION: writes ignored");
      wr(AHold, 32'hFFFF_FF05);
      expect_rd(AHold, 32'd5, "HOLD_DELAY keeps [7:0] only");
      check_eq({24'h0, dut.hold_delay}, 32'd5, "hold_delay_o follows HOLD_DELAY");
      wr(AHold, 32'd1);
      wr(AEnable, 32'hFFFF_FFFF);
      expect_rd(AEnable, 32'h0000_03FF, "IRQ_ENABLE keeps the 10 defined bits");
      wr(AEnable, 32'h0);
    end
    group_end("byte_strobes");

    // -------------------------------------------------------------------------------------
    group("pslverr_unmapped");
    wr(AScratch, 32'h0BAD_F00D);
    expect_slverr(1'b0, Base + 32'h20, 4'h0, "read soc_ctrl offset 0x20");
    expect_slverr(1'b1, Base + 32'h20, 4'hF, "write soc_ctrl offset 0x20");
    expect_slverr(1'b0, Base + 32'hFFC, 4'h0, "read soc_ctrl offset 0xFFC");
    expect_slverr(1'b1, Base + 32'h808, 4'hF, "write soc_ctrl offset 0x808");
    expect_slverr(1'b0, 32'h1000_1000, 4'h0, "read just past the soc_ctrl window");
    expect_slverr(1'b0, 32'h1001_0084, 4'h0, "read an HBA offset without a register");
    expect_slverr(1'b1, 32'h1001_0FFC, 4'hF, "write an HBA offset without a register");
    expect_slverr(1'b0, 32'h0004_0000, 4'h0, "read just past the I/O window");
    expect_slverr(1'b0, 32'h0FFF_FFFC, 4'h0, "read below the soc_ctrl window");
    expect_slverr(1'b1, 32'hFFFF_FFFC, 4'hF, "write the top of the address space");
    expect_slverr(1'b0, 32'h2000_0008, 4'h0, "read an alias-looking address 0x2000_0008");
    expect_rd(AScratch, 32'h0BAD_F00D, "SCRATCH unchanged by the refused writes");
    group_end("pslverr_unmapped");

    // -------------------------------------------------------------------------------------
    group("io_window");
    // Page register of channel 2 (port 0x81): a plain read/write latch in sysdma.
    apb(1'b1, 32'h81 * 4, 32'hFFFF_FFA5, 4'b0001, v, err, e);
    check(!err, "outb 0x81 accepted");
    apb(1'b0, 32'h81 * 4, 32'h0, 4'h0, v, err, e);
    check(!err, "inb 0x81 accepted");
    check_eq(v, 32'h0000_00A5, "inb 0x81: the byte in [7:0], upper bits 0");
    expect_slverr(1'b1, 32'h81 * 4, 4'b0010, "outb with PSTRB[0] clear");
    apb(1'b0, 32'h81 * 4, 32'h0, 4'h0, v, err, e);
    check_eq(v, 32'h0000_00A5, "the refused write changed nothing");
    expect_slverr(1'b0, 32'h300 * 4, 4'h0, "inb from port 0x300 (no register)");
    expect_slverr(1'b1, 32'h300 * 4, 4'b0001, "outb to port 0x300 (no register)");
    expect_slverr(1'b0, 32'hC1 * 4, 4'h0, "inb from odd port 0xC1");
    group_end("io_window");

    // -------------------------------------------------------------------------------------
    group("irq_status_w1c");
    wr(AEnable, 32'h0);
    pulse_events(8'h85, 1'b1);
    expect_rd(AStatus, 32'h0000_0285, "TC bits 0,2,7 and AXI_ERR latched");
    check(irq[0] === 1'b0, "irq_o low while nothing is enabled");
    pulse_events(8'h00, 1'b0);
    expect_rd(AStatus, 32'h0000_0285, "status holds without events");
    wr(AStatus, 32'h0000_0004);
    expect_rd(AStatus, 32'h0000_0281, "write 1 clears bit 2 only");
    wr(AStatus, 32'h0000_0000);
    expect_rd(AStatus, 32'h0000_0281, "write 0 clears nothing");
    apb(1'b1, AStatus, 32'hFFFF_FFFF, 4'b0010, v, err, e);
    expect_rd(AStatus, 32'h0000_0081, "strobe 0010 clears only bits 15:8 (AXI_ERR)");
    // irq_o: registered, rises at the edge the status bit and its enable are both set
    wr(AEnable, 32'h0000_0001);
    check(irq[0] === 1'b1, "irq_o high: TC0 set and enabled");
    check_eq({24'h0, irq[7:1]}, 32'h0, "irq_o[7:1] stay low");
    wr(AStatus, 32'h0000_0001);
    check(irq[0] === 1'b0, "irq_o low after the clear");
    irq_rises.delete();
    pulse_events(8'h01, 1'b0);   // event seen at the edge ending the forced cycle
    #1;
    check(irq_rises.size() == 1, "irq_o rose once");
    check_eq(first_rise(), cycle, "irq_o rises at the same edge as IRQ_STATUS");
    // set wins: the clear's request cycle also carries a new event on the same bit
    @(negedge clk);
    psel = 1; penable = 0; pwrite = 1; paddr = AStatus; pwdata = 32'h1; pstrb = 4'hF;
    @(negedge clk);
    penable = 1;
    force dut.tc_event = 8'h01;   // same cycle as the W1C request
    @(negedge clk);
    release dut.tc_event;
    check(pready === 1'b1 && pslverr === 1'b0, "W1C completes");
    @(negedge clk);
    psel = 0; penable = 0; pwrite = 0;
    expect_rd(AStatus, 32'h0000_0081, "set and clear in one cycle: the set wins");
    check(irq[0] === 1'b1, "irq_o stays high");
    wr(AStatus, 32'hFFFF_FFFF);
    expect_rd(AStatus, 32'h0, "all clear");
    wr(AEnable, 32'h0);
    group_end("irq_status_w1c");

    // -------------------------------------------------------------------------------------
    group("timer_exact_cycle");
    wr(AEnable, TimerBit);
    for (int k = 0; k < 5; k++) begin
      int n;
      n = (k == 0) ? 1 : (k == 1) ? 2 : (k == 2) ? 3 : (k == 3) ? 7 : 64;
      wr(AStatus, TimerBit);
      irq_rises.delete();
      wr32(ATimer, n, e);
      repeat (n + 5) @(negedge clk);
      check(irq_rises.size() == 1, "irq_o rose once");
      check_eq(first_rise(), e + n, $sformatf("TIMER=%0d: IRQ_STATUS.TIMER set at request edge + %0d", n, n));
      expect_rd(AStatus, TimerBit, $sformatf("TIMER=%0d: status bit 8 set", n));
      expect_rd(ATimer, 32'h0, "TIMER reads 0 after expiry");
    end
    // read-back of the cycles left: (write edge + N) - read edge
    wr(AStatus, TimerBit);
    irq_rises.delete();
    wr32(ATimer, 32'd1000, e);
    repeat (17) @(negedge clk);
    rd32(ATimer, v, r);
    check_eq(v, e + 1000 - r, "TIMER read = write edge + N - read edge");
    rd32(ATimer, v, r);
    check_eq(v, e + 1000 - r, "TIMER read again");
    // restart: a second write replaces the countdown
    wr32(ATimer, 32'd40, e2);
    repeat (45) @(negedge clk);
    check(irq_rises.size() == 1, "irq_o rose once after the rewrite");
    check_eq(first_rise(), e2 + 40, "rewrite restarts the countdown from the new write");
    // cancel
    wr(AStatus, TimerBit);
    irq_rises.delete();
    wr(ATimer, 32'd30);
    repeat (5) @(negedge clk);
    wr(ATimer, 32'd0);
    repeat (60) @(negedge clk);
    check(irq_rises.size() == 0, "write 0 cancels: no interrupt");
    expect_rd(AStatus, 32'h0, "write 0 cancels: status stays clear");
    expect_rd(ATimer, 32'h0, "cancelled timer reads 0");
    // a partial write merges into the count left
    wr(ATimer, 32'h0001_0080);
    apb(1'b1, ATimer, 32'h0000_0020, 4'b0001, v, err, r);
    rd32(ATimer, v, e2);
    check_eq(v, 32'h0001_0020 - (e2 - r), "byte-0 write keeps the upper bytes of the count left");
    wr(ATimer, 32'd0);
    wr(AEnable, 32'h0);
    wr(AStatus, 32'hFFFF_FFFF);
    group_end("timer_exact_cycle");

    // -------------------------------------------------------------------------------------
    group("dma_clock_enable");
    begin
      int n0, p, last, first_after;
      ce_edges.delete();
      repeat (45) @(negedge clk);
      n0 = ce_edges.size();
      check(n0 >= 4, "DMA clock pulses run");
      for (int k = 1; k < n0; k++)
        check_eq(ce_edges[k] - ce_edges[k - 1], 10, "reset divider: a pulse every 10 cycles");
      // change to 3: the period in progress ends on the old schedule, then periods of 3
      last = ce_edges[n0 - 1];
      ce_edges.delete();
      wr32(AClkdiv, 32'd3, e);
      repeat (40) @(negedge clk);
      first_after = ce_edges[0];
      check((first_after - last) % 10 == 0, "the pulse after the write keeps the old period");
      p = 0;
      for (int k = 1; k < ce_edges.size(); k++) begin
        if (ce_edges[k - 1] > e) begin
          check_eq(ce_edges[k] - ce_edges[k - 1], 3, "after the next pulse: every 3 cycles");
          p++;
        end
      end
      check(p >= 5, "several periods of 3 seen");
      // 0 acts as 1: a pulse every cycle
      wr32(AClkdiv, 32'd0, e);
      ce_edges.delete();
      repeat (12) @(negedge clk);
      p = 0;
      for (int k = 1; k < ce_edges.size(); k++)
        if (ce_edges[k - 1] > e + 3) begin
          check_eq(ce_edges[k] - ce_edges[k - 1], 1, "DMA_CLKDIV=0: every cycle");
          p++;
        end
      check(p >= 5, "several periods of 1 seen");
      expect_rd(AClkdiv, 32'd0, "DMA_CLKDIV reads 0 as written");
      wr(AClkdiv, 32'd10);
    end
    group_end("dma_clock_enable");

    // -------------------------------------------------------------------------------------
    group("apb_abort");
    wr(AScratch, 32'h0000_0001);
    // abandoned in the setup phase: no request ever goes out
    @(negedge clk);
    psel = 1; penable = 0; pwrite = 1; paddr = AScratch; pwdata = 32'hFFFF_0000; pstrb = 4'hF;
    @(negedge clk);
    psel = 0; pwrite = 0;
    @(negedge clk);
    check(pready === 1'b0, "no response to a transfer abandoned in setup");
    expect_rd(AScratch, 32'h0000_0001, "write abandoned in setup changed nothing");
    // abandoned after the first access cycle: the request went out (it is not re-issued and
    // nothing stays pending); the next transfer gets its own one-wait-state response
    @(negedge clk);
    psel = 1; penable = 0; pwrite = 0; paddr = ATimer;
    @(negedge clk);
    penable = 1;
    @(negedge clk);
    psel = 0; penable = 0;
    #1;
    @(negedge clk);
    check(pready === 1'b0, "PREADY back low after the abandoned transfer");
    expect_rd(AScratch, 32'h0000_0001, "the next transfer reads its own data");
    expect_slverr(1'b0, Base + 32'h40, 4'h0, "an error after an abort still answers");
    expect_rd(AId, 32'h4842_5349, "and a read after that");
    group_end("apb_abort");

    $display("soc_ctrl_tb: %0d checks, %0d failed", checks, failures);
    if (failures != 0) $display("FAIL soc_ctrl_tb");
    $finish;
  end

endmodule
