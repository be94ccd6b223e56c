// hba_tb: self-checking Icarus Verilog testbench of the HBA core (rtl/hba/hba.sv) with a
// scripted SCSI target (ID 3: selection, MESSAGE OUT while ATN, CDB length by group code,
// DATA IN/OUT, disconnect/reselection, STATUS, COMMAND COMPLETE, and fault modes) and a
// scripted 8237-style word channel on the subordinate DMA port (DACK active low, IOR/IOW,
// TC on the last programmed word). Scenarios: DATA IN through the 16-bit channel with an odd
// length, START while busy (REJECTED), short transfer (SHORT, residual, zero pad of the last
// word), DATA OUT with an odd length, DATA IN overrun (discarded, EXTRA), disconnect and
// reselection, selection timeout, ABORT and BUS DEVICE RESET as commands of their own, DATA OUT
// overrun (0x00 pad, ATN, ABORT), unknown message (MESSAGE REJECT), unexpected bus free,
// target hang (WATCHDOG, then bus reset), target bus reset mid-transfer, bus reset issued.
// Each checks the interrupt causes, status byte, XFERRED/RESIDUAL/EXTRA and the bytes moved.
//
// Run: tools/run_rtl_tb.sh tests/rtl/hba_tb.sv (make test; under a second); +trace prints the
// sequencer state and the bus every cycle. Prints one PASS/FAIL line per check and a last
// line "hba_tb: N checks, N failed".
`timescale 1ns / 1ps

module hba_tb;

  // bus bit positions (contracts.md 11.1)
  localparam int BSY = 9, SEL = 10, ATN = 11, RST = 12, MSG = 13, CD = 14, IO = 15,
                 REQ = 16, ACK = 17;
  localparam logic [31:0] ACtrl = hba_reg_pkg::HBA_CTRL, ATarget = hba_reg_pkg::HBA_TARGET,
    ACmdCfg = hba_reg_pkg::HBA_CMD_CFG, AXferLen = hba_reg_pkg::HBA_XFER_LEN,
    ACdb0 = hba_reg_pkg::HBA_CDB0, ACdb1 = hba_reg_pkg::HBA_CDB1,
    ACommand = hba_reg_pkg::HBA_COMMAND, AStatus = hba_reg_pkg::HBA_STATUS,
    AIntStatus = hba_reg_pkg::HBA_INT_STATUS, AIntEnable = hba_reg_pkg::HBA_INT_ENABLE,
    AScsiStatus = hba_reg_pkg::HBA_SCSI_STATUS, AXferred = hba_reg_pkg::HBA_XFERRED,
    AResidual = hba_reg_pkg::HBA_RESIDUAL, AExtra = hba_reg_pkg::HBA_EXTRA,
    ASelTimeout = hba_reg_pkg::HBA_SEL_TIMEOUT, AWatchdog = hba_reg_pkg::HBA_WATCHDOG,
    AEnd = hba_reg_pkg::HBA_END, ADmaCount = hba_reg_pkg::HBA_DMA_COUNT,
    AMsgIn = hba_reg_pkg::HBA_MSG_IN, AId = hba_reg_pkg::HBA_ID;
  localparam logic [31:0] IParity = 32'h8, ISgErr = 32'h40, IUnderrun = 32'h100;
  localparam logic [31:0] ICmdDone = 32'h1, ISelTo = 32'h2, IShort = 32'h4, IBusReset = 32'h10,
    IOverrun = 32'h80, IRejected = 32'h200, IWatchdog = 32'h400, IAborted = 32'h800,
    IUnexpFree = 32'h1000;

  logic clk = 1'b0, rst_n = 1'b0;
  always #10 clk = ~clk;

  int checks = 0, fails = 0;
  task automatic check(string what, logic [31:0] got, logic [31:0] want);
    checks++;
    if (got !== want) begin
      fails++;
      $display("FAIL %s: got 0x%08h, want 0x%08h (t=%0t)", what, got, want, $time);
    end else begin
      $display("PASS %s = 0x%08h", what, got);
    end
  endtask

  // ---- register port
  logic        req = 0, we = 0;
  logic [11:0] addr = 0;
  logic [31:0] wdata = 0, rdata;
  logic        rerr, irq;

  task automatic wr(logic [31:0] a, logic [31:0] d);
    @(negedge clk); req = 1; we = 1; addr = a[11:0]; wdata = d;
    @(negedge clk); req = 0; we = 0;
  endtask
  task automatic rd(logic [31:0] a, output logic [31:0] d);
    @(negedge clk); req = 1; we = 0; addr = a[11:0];
    @(negedge clk); req = 0; d = rdata;
  endtask

  // ---- SCSI bus
  logic [17:0] hba_o, tgt = '0, bus;
  assign bus = hba_o | tgt;

  // ---- DMA channel (8237-like, 16-bit, DACK active low, demand mode)
  logic        dreq, dack_n = 1'b1, ior_n = 1'b1, iow_n = 1'b1, tc = 1'b0, dsel;
  logic [15:0] dma_to_dev = '0, dma_from_dev;
  logic [7:0]  mem [0:255];
  int          dma_words = 0;        // words left in the "8237 count"
  int          dma_addr = 0;
  logic        dma_in = 1'b1;        // 1: IOR (DATA IN), 0: IOW (DATA OUT)

  // AXI: idle slave
  logic [3:0]  awid, arid;
  logic [31:0] awaddr, araddr, axwdata;
  logic [7:0]  awlen, arlen;
  logic [2:0]  awsize, arsize;
  logic [1:0]  awburst, arburst;
  logic        awvalid, wlast, wvalid, bready, arvalid, rready;
  logic [3:0]  wstrb;

  hba dut (
    .clk_i(clk), .rst_ni(rst_n),
    .reg_req_i(req), .reg_we_i(we), .reg_addr_i(addr), .reg_wdata_i(wdata), .reg_wstrb_i(4'hF),
    .reg_rdata_o(rdata), .reg_err_o(rerr),
    .scsi_o(hba_o), .scsi_i(bus),
    .dma_dreq_o(dreq), .dma_dack_i(dack_n), .dma_ior_ni(ior_n), .dma_iow_ni(iow_n),
    .dma_tc_i(tc), .dma_data_i(dma_to_dev), .dma_data_o(dma_from_dev), .dma_sel_o(dsel),
    .axi_awid_o(awid), .axi_awaddr_o(awaddr), .axi_awlen_o(awlen), .axi_awsize_o(awsize),
    .axi_awburst_o(awburst), .axi_awvalid_o(awvalid), .axi_awready_i(awready),
    .axi_wdata_o(axwdata), .axi_wstrb_o(wstrb), .axi_wlast_o(wlast), .axi_wvalid_o(wvalid),
    .axi_wready_i(wready), .axi_bid_i(4'h1), .axi_bresp_i(2'b00), .axi_bvalid_i(bvalid),
    .axi_bready_o(bready), .axi_arid_o(arid), .axi_araddr_o(araddr), .axi_arlen_o(arlen),
    .axi_arsize_o(arsize), .axi_arburst_o(arburst), .axi_arvalid_o(arvalid),
    .axi_arready_i(arready), .axi_rid_i(4'h1), .axi_rdata_i(rdata_ax), .axi_rresp_i(2'b00),
    .axi_rlast_i(rlast), .axi_rvalid_i(rvalid), .axi_rready_o(rready),
    .irq_o(irq)
  );

  // ---- AXI memory slave (host memory for the bus-master mover): one burst at a time per
  // direction, INCR, 4-byte beats, WSTRB honoured, OKAY responses.
  logic [7:0]  hmem [0:4095];
  logic        awready = 1'b0, wready = 1'b0, bvalid = 1'b0;
  logic        arready = 1'b0, rvalid = 1'b0, rlast = 1'b0;
  logic [31:0] rdata_ax = '0;

  // Handshakes are decided at falling edges (#1 after them, once the DUT's outputs have
  // settled): a VALID/READY pair seen there completes at the next rising edge.
  always begin : axi_read
    logic [31:0] a;
    int          n;
    @(negedge clk);
    if (arvalid) begin
      arready = 1'b1;
      a = araddr & ~32'h3; n = int'(arlen) + 1;
      @(negedge clk);
      arready = 1'b0;
      for (int i = 0; i < n; i++) begin
        rdata_ax = {hmem[(a + 3) & 12'hFFF], hmem[(a + 2) & 12'hFFF],
                    hmem[(a + 1) & 12'hFFF], hmem[a & 12'hFFF]};
        rvalid = 1'b1; rlast = (i == n - 1);
        #1;
        while (!rready) begin @(negedge clk); #1; end
        @(negedge clk);
        a += 4;
      end
      rvalid = 1'b0; rlast = 1'b0;
    end
  end

  always begin : axi_write
    logic [31:0] a;
    logic        done_w;
    @(negedge clk);
    if (awvalid) begin
      awready = 1'b1;
      a = awaddr & ~32'h3;
      @(negedge clk);
      awready = 1'b0;
      wready = 1'b1;
      done_w = 1'b0;
      while (!done_w) begin
        #1;
        if (wvalid) begin
          for (int b = 0; b < 4; b++) if (wstrb[b]) hmem[(a + b) & 12'hFFF] = axwdata[8*b +: 8];
          a += 4;
          done_w = wlast;
        end
        @(negedge clk);
      end
      wready = 1'b0;
      bvalid = 1'b1;
      #1;
      while (!bready) begin @(negedge clk); #1; end
      @(negedge clk);
      bvalid = 1'b0;
    end
  end

  task automatic put32(int a, logic [31:0] d);
    for (int b = 0; b < 4; b++) hmem[a + b] = d[8*b +: 8];
  endtask
  // one descriptor: address, length, flags (bit 0 EOL)
  task automatic put_desc(int a, int addr, int len, int flags);
    put32(a, addr); put32(a + 4, 0); put32(a + 8, len); put32(a + 12, flags);
  endtask

  // The DMA channel: serves DREQ one word at a time (S1..S4 of 6 cycles, strobe in 3 of them),
  // TC on the last programmed word.
  always begin
    @(negedge clk);
    if (dreq && dma_words > 0) begin
      repeat (2) @(negedge clk);
      dack_n = 1'b0;
      @(negedge clk);
      if (dma_in) ior_n = 1'b0; else iow_n = 1'b0;
      if (!dma_in) dma_to_dev = {mem[dma_addr + 1], mem[dma_addr]};
      repeat (2) @(negedge clk);
      if (dma_in) begin
        mem[dma_addr] = dma_from_dev[7:0];
        mem[dma_addr + 1] = dma_from_dev[15:8];
      end
      tc = (dma_words == 1);
      @(negedge clk);
      ior_n = 1'b1; iow_n = 1'b1; tc = 1'b0;
      dma_words--; dma_addr += 2;
      dack_n = 1'b1;
    end
  end

  // ---- scripted target (ID 3)
  localparam int TgtId = 3;
  logic [7:0] tgt_data [0:255];      // DATA IN bytes to send / DATA OUT bytes received
  logic [7:0] got_cdb [0:15];
  int         t_in_len = 0, t_out_len = 0, t_cdb_len = 6, t_disc_after = -1;
  // fault modes: 0 none, 1 go silent after t_fault_at data bytes, 2 assert RST after
  // t_fault_at data bytes, 3 unknown message 0x0F before STATUS, 4 bus free after COMMAND
  int         t_mode = 0, t_fault_at = 0;
  int         t_bad_par_at = -1;     // DATA IN byte sent with even (wrong) parity
  logic [7:0] msgs [0:15];           // every MESSAGE OUT byte of the last connection
  int         n_msgs = 0;
  logic       t_aborted = 1'b0;
  logic [7:0] t_status = 8'h00;
  logic       t_present = 1'b1, t_done = 1'b0;

  function automatic logic par(logic [7:0] d); par = ~^d; endfunction

  task automatic set_phase(logic m, logic c, logic i);
    tgt[MSG] = m; tgt[CD] = c; tgt[IO] = i;
  endtask
  task automatic t_send(logic [7:0] d);
    @(negedge clk); tgt[7:0] = d; tgt[8] = par(d);
    repeat (2) @(negedge clk); tgt[REQ] = 1'b1;
    while (!bus[ACK]) @(negedge clk);
    tgt[REQ] = 1'b0;
    while (bus[ACK]) @(negedge clk);
    tgt[8:0] = '0;
  endtask
  task automatic t_send_bad(logic [7:0] d);
    @(negedge clk); tgt[7:0] = d; tgt[8] = ~par(d);
    repeat (2) @(negedge clk); tgt[REQ] = 1'b1;
    while (!bus[ACK]) @(negedge clk);
    tgt[REQ] = 1'b0;
    while (bus[ACK]) @(negedge clk);
    tgt[8:0] = '0;
  endtask
  task automatic t_recv(output logic [7:0] d);
    @(negedge clk); tgt[REQ] = 1'b1;
    while (!bus[ACK]) @(negedge clk);
    d = bus[7:0];
    tgt[REQ] = 1'b0;
    while (bus[ACK]) @(negedge clk);
  endtask
  task automatic t_bus_free;
    @(negedge clk); tgt = '0;
  endtask

  // The target honours ATN: MESSAGE OUT for as long as ATN stays asserted; ABORT or BUS
  // DEVICE RESET ends the connection (bus free).
  task automatic t_atn;
    logic [7:0] m;
    while (bus[ATN] && !t_aborted) begin
      set_phase(1, 1, 0);
      t_recv(m);
      msgs[n_msgs] = m; n_msgs++;
      if (m == 8'h06 || m == 8'h0C) begin
        t_bus_free;
        t_aborted = 1'b1;
      end
    end
  endtask

  task automatic t_reselect;
    // arbitration skipped (the only other device is the HBA, which is waiting)
    repeat (50) @(negedge clk);
    tgt[BSY] = 1'b1; tgt[7:0] = (8'd1 << TgtId) | 8'h80;
    repeat (10) @(negedge clk);
    tgt[SEL] = 1'b1; tgt[IO] = 1'b1;
    repeat (5) @(negedge clk);
    tgt[BSY] = 1'b0;
    @(negedge clk);
    while (!bus[BSY]) @(negedge clk);   // the HBA answers
    tgt[BSY] = 1'b1;
    repeat (5) @(negedge clk);
    tgt[SEL] = 1'b0; tgt[7:0] = '0;
    set_phase(1, 1, 1);
    t_send(8'h80);                       // IDENTIFY, LUN 0
  endtask

  initial begin : target
    logic [7:0] b;
    forever begin
      @(negedge clk);
      if (t_present && bus[SEL] && !bus[BSY] && !bus[IO] && bus[TgtId]) begin
        n_msgs = 0; t_aborted = 1'b0;
        repeat (3) @(negedge clk);
        tgt[BSY] = 1'b1;
        while (bus[SEL]) @(negedge clk);
        t_atn;
        if (!t_aborted) begin
          set_phase(0, 1, 0);
          t_recv(got_cdb[0]);
          // CDB length from the group code, as a target does (SCSI-2 7.2)
          case (got_cdb[0][7:5])
            3'd1, 3'd2: t_cdb_len = 10;
            3'd4:       t_cdb_len = 16;
            3'd5:       t_cdb_len = 12;
            default:    t_cdb_len = 6;
          endcase
          for (int i = 1; i < t_cdb_len; i++) t_recv(got_cdb[i]);
          if (t_mode == 4) begin
            t_bus_free;
            t_aborted = 1'b1;
          end
        end
        t_atn;
        if (!t_aborted && t_in_len > 0) begin
          set_phase(0, 0, 1);
          for (int i = 0; i < t_in_len && !t_aborted; i++) begin
            if (i == t_disc_after) begin
              set_phase(1, 1, 1);
              t_send(8'h02);
              t_send(8'h04);
              t_bus_free;
              t_reselect;
              set_phase(0, 0, 1);
            end
            if (t_mode == 1 && i == t_fault_at) begin
              // hang: BSY held, no REQ, until a bus reset
              while (!bus[RST]) @(negedge clk);
              t_bus_free;
              t_aborted = 1'b1;
            end else if (t_mode == 2 && i == t_fault_at) begin
              tgt = '0;
              tgt[RST] = 1'b1;
              repeat (100) @(negedge clk);
              tgt[RST] = 1'b0;
              t_aborted = 1'b1;
            end else if (i == t_bad_par_at) begin
              t_send_bad(tgt_data[i]);
            end else begin
              t_send(tgt_data[i]);
            end
          end
        end
        if (!t_aborted && t_out_len > 0) begin
          set_phase(0, 0, 0);
          for (int i = 0; i < t_out_len && !t_aborted; i++) begin
            t_recv(tgt_data[i]);
            t_atn;
            if (!t_aborted) set_phase(0, 0, 0);
          end
        end
        if (!t_aborted && t_mode == 3) begin
          set_phase(1, 1, 1);
          t_send(8'h0F);
          t_atn;
        end
        if (!t_aborted) begin
          set_phase(0, 1, 1);
          t_send(t_status);
          set_phase(1, 1, 1);
          t_send(8'h00);
          t_bus_free;
        end
        t_done = 1'b1;
      end
    end
  end

  // ---- helpers
  task automatic wait_irq(int limit);
    int n = 0;
    while (!irq && n < limit) begin @(negedge clk); n++; end
    if (!irq) $display("FAIL no interrupt within %0d cycles", limit);
  endtask

  task automatic program_cmd(logic [1:0] dir, int len, logic [7:0] op);
    wr(ATarget, TgtId);
    wr(ACmdCfg, 32'(dir) << 8);
    wr(AXferLen, len);
    wr(ACdb0, {24'h0, op});
    wr(ACdb1, 32'h0);
  endtask

  logic [31:0] v;
  int          bad;
  int          seed = 1;

  initial begin
    repeat (3) @(negedge clk);
    rst_n = 1'b1;
    rd(AId, v); check("ID", v, 32'h48424131);
    wr(AIntEnable, 32'h1DFF);   // all but REJECTED: irq = the command ended
    wr(ASelTimeout, 20000);

    // ---- 1: DATA IN, 10 bytes through the 16-bit DMA channel (5 words), GOOD
    for (int i = 0; i < 256; i++) begin tgt_data[i] = 8'($urandom(seed)); mem[i] = 8'hEE; end
    t_in_len = 10; t_out_len = 0; t_status = 8'h00;
    dma_in = 1'b1; dma_addr = 0; dma_words = 5;
    program_cmd(2'd1, 10, 8'h08);
    wr(ACommand, 32'h1);
    rd(AStatus, v); check("busy after START", v & 32'h1, 32'h1);
    wr(ACommand, 32'h1);     // while busy: rejected
    wait_irq(200000);
    rd(AIntStatus, v); check("1 int_status", v, ICmdDone | IRejected);
    check("1 identify", {24'h0, msgs[0]}, 32'hC0);
    check("1 one message", n_msgs, 1);
    check("1 cdb0", {24'h0, got_cdb[0]}, 32'h08);
    rd(AScsiStatus, v); check("1 scsi_status", v, 32'h100);
    rd(AXferred, v); check("1 xferred", v, 10);
    rd(AResidual, v); check("1 residual", v, 0);
    rd(ADmaCount, v); check("1 dma_count", v, 10);
    rd(AMsgIn, v); check("1 msg_in", v, 0);
    begin
      bad = 0;
      for (int i = 0; i < 10; i++) if (mem[i] !== tgt_data[i]) bad++;
      check("1 data in memory (bad bytes)", bad, 0);
    end
    rd(AStatus, v); check("1 idle", v & 32'h7, 0);
    wr(AIntStatus, 32'hFFFF);
    rd(AIntStatus, v); check("1 w1c", v, 0);

    // ---- 2: short transfer: 16 programmed, target sends 7
    for (int i = 0; i < 256; i++) begin tgt_data[i] = 8'($urandom(seed)); mem[i] = 8'hEE; end
    t_in_len = 7; t_status = 8'h02;
    dma_in = 1'b1; dma_addr = 0; dma_words = 8;
    program_cmd(2'd1, 16, 8'h28);
    wr(hba_reg_pkg::HBA_CDB2, 32'h00005A00);    // CDB byte 9
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("2 int_status", v, ICmdDone | IShort);
    rd(AScsiStatus, v); check("2 scsi_status", v, 32'h102);
    rd(AXferred, v); check("2 xferred", v, 7);
    rd(AResidual, v); check("2 residual", v, 9);
    check("2 CDB bytes sent (group 1)", t_cdb_len, 10);
    check("2 last CDB byte", {24'h0, got_cdb[9]}, 32'h5A);
    begin
      bad = 0;
      for (int i = 0; i < 7; i++) if (mem[i] !== tgt_data[i]) bad++;
      check("2 data in memory (bad bytes)", bad, 0);
      check("2 pad byte of last word", {24'h0, mem[7]}, 0);
    end
    wr(AIntStatus, 32'hFFFF);
    dma_words = 0;

    // ---- 3: DATA OUT, 9 bytes (odd) through the 16-bit channel
    for (int i = 0; i < 256; i++) begin mem[i] = 8'($urandom(seed)); tgt_data[i] = 8'h55; end
    t_in_len = 0; t_out_len = 9; t_status = 8'h00;
    dma_in = 1'b0; dma_addr = 0; dma_words = 5;
    program_cmd(2'd2, 9, 8'h0A);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("3 int_status", v, ICmdDone);
    rd(AXferred, v); check("3 xferred", v, 9);
    begin
      bad = 0;
      for (int i = 0; i < 9; i++) if (mem[i] !== tgt_data[i]) bad++;
      check("3 data at the target (bad bytes)", bad, 0);
    end
    wr(AIntStatus, 32'hFFFF);

    // ---- 4: overrun: DATA IN 6 programmed, target sends 9 (extra discarded)
    for (int i = 0; i < 256; i++) begin tgt_data[i] = 8'($urandom(seed)); mem[i] = 8'hEE; end
    t_in_len = 9; t_out_len = 0;
    dma_in = 1'b1; dma_addr = 0; dma_words = 3;
    program_cmd(2'd1, 6, 8'h08);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("4 int_status", v, ICmdDone | IOverrun);
    rd(AXferred, v); check("4 xferred", v, 6);
    rd(AExtra, v); check("4 extra", v, 3);
    begin
      bad = 0;
      for (int i = 0; i < 6; i++) if (mem[i] !== tgt_data[i]) bad++;
      check("4 data in memory (bad bytes)", bad, 0);
      check("4 nothing past the buffer", {24'h0, mem[6]}, 32'hEE);
    end
    wr(AIntStatus, 32'hFFFF);

    // ---- 5: disconnect after 4 bytes, reselection, 12 bytes in all
    for (int i = 0; i < 256; i++) begin tgt_data[i] = 8'($urandom(seed)); mem[i] = 8'hEE; end
    t_in_len = 12; t_disc_after = 4;
    dma_in = 1'b1; dma_addr = 0; dma_words = 6;
    program_cmd(2'd1, 12, 8'h08);
    wr(ACommand, 32'h1);
    wait_irq(400000);
    rd(AIntStatus, v); check("5 int_status", v, ICmdDone);
    rd(AXferred, v); check("5 xferred", v, 12);
    begin
      bad = 0;
      for (int i = 0; i < 12; i++) if (mem[i] !== tgt_data[i]) bad++;
      check("5 data in memory (bad bytes)", bad, 0);
    end
    wr(AIntStatus, 32'hFFFF);
    t_disc_after = -1;

    // ---- 6: selection timeout (no target)
    t_present = 1'b0;
    program_cmd(2'd0, 0, 8'h00);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("6 int_status", v, ISelTo);
    rd(AEnd, v); check("6 end reason", v & 32'h7, 2);
    wr(AIntStatus, 32'hFFFF);
    t_present = 1'b1;

    // ---- 7: ABORT as a command of its own: IDENTIFY, ABORT, bus free
    t_done = 1'b0;
    wr(ACommand, 32'h2);
    wait_irq(200000);
    rd(AIntStatus, v); check("7 int_status", v, IAborted);
    check("7 messages", n_msgs, 2);
    check("7 IDENTIFY", {24'h0, msgs[0]}, 32'hC0);
    check("7 ABORT", {24'h0, msgs[1]}, 32'h06);
    wr(AIntStatus, 32'hFFFF);

    // ---- 7b: BUS DEVICE RESET as a command of its own: the message alone
    wr(ACommand, 32'h4);
    wait_irq(200000);
    rd(AIntStatus, v); check("7b int_status", v, IAborted);
    check("7b messages", n_msgs, 1);
    check("7b BDR", {24'h0, msgs[0]}, 32'h0C);
    wr(AIntStatus, 32'hFFFF);

    // ---- 9: DATA OUT overrun: 4 programmed, the target asks for 8: one 0x00 pad with ATN,
    // then ABORT at MESSAGE OUT
    for (int i = 0; i < 256; i++) begin mem[i] = 8'($urandom(seed)); tgt_data[i] = 8'h55; end
    t_in_len = 0; t_out_len = 8;
    dma_in = 1'b0; dma_addr = 0; dma_words = 2;
    program_cmd(2'd2, 4, 8'h0A);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("9 int_status", v, IAborted | IOverrun);
    rd(AXferred, v); check("9 xferred", v, 4);
    rd(AExtra, v); check("9 extra", v, 1);
    bad = 0;
    for (int i = 0; i < 4; i++) if (mem[i] !== tgt_data[i]) bad++;
    check("9 data at the target (bad bytes)", bad, 0);
    check("9 pad byte", {24'h0, tgt_data[4]}, 0);
    check("9 ABORT sent", {24'h0, msgs[n_msgs - 1]}, 32'h06);
    wr(AIntStatus, 32'hFFFF);
    t_out_len = 0;

    // ---- 12: unknown message 0x0F: MESSAGE REJECT, then the command completes
    t_mode = 3;
    program_cmd(2'd0, 0, 8'h00);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("12 int_status", v, ICmdDone);
    check("12 MESSAGE REJECT sent", {24'h0, msgs[n_msgs - 1]}, 32'h07);
    wr(AIntStatus, 32'hFFFF);

    // ---- 13: unexpected bus free after COMMAND
    t_mode = 4;
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("13 int_status", v, IUnexpFree);
    wr(AIntStatus, 32'hFFFF);

    // ---- 14: a DATA IN byte with bad parity: PARITY_ERR with CMD_DONE, the byte stored;
    // with CTRL.PARITY_CHECK off the same transfer is clean
    for (int i = 0; i < 256; i++) begin tgt_data[i] = 8'($urandom(seed)); mem[i] = 8'hEE; end
    t_mode = 0; t_in_len = 4; t_bad_par_at = 2;
    dma_in = 1'b1; dma_addr = 0; dma_words = 2;
    program_cmd(2'd1, 4, 8'h08);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("14 int_status", v, ICmdDone | IParity);
    bad = 0;
    for (int i = 0; i < 4; i++) if (mem[i] !== tgt_data[i]) bad++;
    check("14 data in memory (bad bytes)", bad, 0);
    wr(AIntStatus, 32'hFFFF);
    wr(ACtrl, 32'h0000070D & ~32'h4);
    dma_addr = 0; dma_words = 2;
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("14 no check: int_status", v, ICmdDone);
    wr(AIntStatus, 32'hFFFF);
    wr(ACtrl, 32'h0000070D);
    t_bad_par_at = -1;

    // ---- 10: the target hangs after 3 DATA IN bytes: WATCHDOG, then a bus reset frees it
    t_mode = 1; t_fault_at = 3; t_in_len = 8;
    for (int i = 0; i < 256; i++) begin tgt_data[i] = 8'($urandom(seed)); mem[i] = 8'hEE; end
    dma_in = 1'b1; dma_addr = 0; dma_words = 4;
    wr(AWatchdog, 3000);
    program_cmd(2'd1, 8, 8'h08);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("10 int_status", v, IWatchdog);
    // 3 bytes handshaken: one word reached memory, the third byte was left in the FIFO and
    // is discarded, so it counts as EXTRA, not XFERRED
    rd(AXferred, v); check("10 xferred", v, 2);
    rd(AExtra, v); check("10 extra", v, 1);
    rd(AStatus, v); check("10 idle, bus still busy", v & 32'h13, 32'h10);
    wr(AIntStatus, 32'hFFFF);
    wr(ACommand, 32'h10);
    wait_irq(200000);
    rd(AIntStatus, v); check("10 bus reset", v, IBusReset);
    rd(AStatus, v); check("10 bus free", v & 32'h13, 0);
    wr(AIntStatus, 32'hFFFF);
    wr(AWatchdog, 25000000);
    dma_words = 0;

    // ---- 11: the target resets the bus after 5 DATA IN bytes
    t_mode = 2; t_fault_at = 5; t_in_len = 8;
    dma_in = 1'b1; dma_addr = 0; dma_words = 4;
    program_cmd(2'd1, 8, 8'h08);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("11 int_status", v, IBusReset);
    rd(AEnd, v); check("11 end reason", v & 32'h7, 6);
    rd(hba_reg_pkg::HBA_FIFO_LEVEL, v); check("11 FIFO flushed", v, 0);
    rd(AStatus, v); check("11 idle", v & 32'h1, 0);
    wr(AIntStatus, 32'hFFFF);
    t_mode = 0; dma_words = 0;

    // ---- 15: bus master, DATA IN, 100 bytes into two elements (37 bytes at 0x203, 63 at
    // 0x400), descriptors at 0x100
    for (int i = 0; i < 4096; i++) hmem[i] = 8'hEE;
    for (int i = 0; i < 256; i++) tgt_data[i] = 8'($urandom(seed));
    put_desc(32'h100, 32'h203, 37, 0);
    put_desc(32'h110, 32'h400, 63, 1);
    t_in_len = 100; t_out_len = 0;
    wr(hba_reg_pkg::HBA_SG_ADDR_LO, 32'h100);
    wr(hba_reg_pkg::HBA_SG_ADDR_HI, 32'h0);
    wr(ACtrl, 32'h0000070F);                      // MOVER = BUS_MASTER
    program_cmd(2'd1, 100, 8'h08);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("15 int_status", v, ICmdDone);
    rd(AXferred, v); check("15 xferred", v, 100);
    rd(ADmaCount, v); check("15 dma_count", v, 100);
    rd(hba_reg_pkg::HBA_SG_DESCS, v); check("15 descriptors", v, 2);
    bad = 0;
    for (int i = 0; i < 37; i++) if (hmem[32'h203 + i] !== tgt_data[i]) begin bad++; $display("15 mismatch elem1 %0d: %h vs %h", i, hmem[32'h203 + i], tgt_data[i]); end
    for (int i = 0; i < 63; i++) if (hmem[32'h400 + i] !== tgt_data[37 + i]) begin bad++; $display("15 mismatch elem2 %0d: %h vs %h", i, hmem[32'h400 + i], tgt_data[37 + i]); end
    check("15 data in memory (bad bytes)", bad, 0);
    check("15 byte before element 1 untouched", {24'h0, hmem[32'h202]}, 32'hEE);
    check("15 byte after element 1 untouched", {24'h0, hmem[32'h228]}, 32'hEE);
    check("15 byte after element 2 untouched", {24'h0, hmem[32'h43F]}, 32'hEE);
    wr(AIntStatus, 32'hFFFF);

    // ---- 16: bus master, DATA OUT, 50 bytes from one element at 0x601
    for (int i = 0; i < 50; i++) hmem[32'h601 + i] = 8'($urandom(seed));
    for (int i = 0; i < 256; i++) tgt_data[i] = 8'h55;
    put_desc(32'h120, 32'h601, 50, 1);
    t_in_len = 0; t_out_len = 50;
    wr(hba_reg_pkg::HBA_SG_ADDR_LO, 32'h120);
    program_cmd(2'd2, 50, 8'h0A);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("16 int_status", v, ICmdDone);
    rd(AXferred, v); check("16 xferred", v, 50);
    bad = 0;
    for (int i = 0; i < 50; i++) if (tgt_data[i] !== hmem[32'h601 + i]) bad++;
    check("16 data at the target (bad bytes)", bad, 0);
    wr(AIntStatus, 32'hFFFF);

    // ---- 17: bus master, DATA IN with a list 10 bytes short: UNDERRUN, the list filled
    for (int i = 0; i < 256; i++) tgt_data[i] = 8'($urandom(seed));
    put_desc(32'h130, 32'h800, 30, 1);
    t_in_len = 40; t_out_len = 0;
    wr(hba_reg_pkg::HBA_SG_ADDR_LO, 32'h130);
    program_cmd(2'd1, 40, 8'h08);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("17 int_status", v, ICmdDone | IUnderrun);
    rd(ADmaCount, v); check("17 dma_count", v, 30);
    bad = 0;
    for (int i = 0; i < 30; i++) if (hmem[32'h800 + i] !== tgt_data[i]) bad++;
    check("17 data in memory (bad bytes)", bad, 0);
    check("17 nothing past the list", {24'h0, hmem[32'h81E]}, 32'hEE);
    wr(AIntStatus, 32'hFFFF);

    // ---- 18: bus master, malformed list (zero length): SG_ERR, the command still ends
    put_desc(32'h140, 32'h900, 0, 1);
    wr(hba_reg_pkg::HBA_SG_ADDR_LO, 32'h140);
    t_in_len = 8;
    program_cmd(2'd1, 8, 8'h08);
    wr(ACommand, 32'h1);
    wait_irq(200000);
    rd(AIntStatus, v); check("18 int_status", v & ~IUnderrun, ICmdDone | ISgErr);
    wr(AIntStatus, 32'hFFFF);
    wr(ACtrl, 32'h0000070D);
    t_in_len = 0;

    // ---- 8: bus reset issued
    wr(ACommand, 32'h10);
    wait_irq(200000);
    rd(AIntStatus, v); check("8 int_status", v, IBusReset);
    rd(AStatus, v); check("8 idle", v & 32'h1, 0);

    $display("hba_tb: %0d checks, %0d failed", checks, fails);
    $finish;
  end

  initial begin
    if ($test$plusargs("trace")) begin
      forever begin
        @(negedge clk);
        $display("%0t st=%0d irq=%b int=%h bus=%h tgt=%h", $time, dut.u_seq.state_q, irq,
                 dut.int_status_q, bus, tgt);
      end
    end
  end

  initial begin
    #50ms;
    $display("FAIL timeout");
    $finish;
  end

endmodule
