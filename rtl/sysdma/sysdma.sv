// sysdma: the PC/AT system DMA controller. Two 8237A-compatible controllers, cascaded as on
// the PC/AT: u_dma1 (channels 0-3, byte transfers, ports 0x00-0x0F) is the slave on channel 0
// of u_dma2 (channels 4-7, word transfers, ports 0xC0-0xDE on even addresses). Page registers
// at 0x80-0x8F supply A23-A16. Memory is reached through a single-beat AXI4 master (fly-by:
// the device holding DACK sources or sinks the data on dma_data_i / dma_data_o).
//
// Port numbers and field positions come from the generated sysdma_reg_pkg
// (rtl/sysdma/data/sysdma.regs). See docs/sysdma/theory_of_operation.md.


module sysdma (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         dma_ce_i,          // one-cycle DMA clock enable (from soc_ctrl)
  input  logic [7:0]   hold_delay_i,      // DMA clocks from HRQ to HLDA (from soc_ctrl)

  input  logic         reg_req_i,
  input  logic         reg_we_i,
  input  logic [15:0]  reg_port_i,        // any I/O port; ports without a register answer err
  input  logic [7:0]   reg_wdata_i,
  output logic [7:0]   reg_rdata_o,
  output logic         reg_err_o,

  // AXI4 master (ID 4, ADDR 32, DATA 32), single-beat INCR, one transaction outstanding
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

  // ISA-style device side, channels 0-7 (channel 4 is the internal cascade)
  input  logic [7:0]   dma_dreq_i,
  output logic [7:0]   dma_dack_o,
  input  logic [7:0]   dma_eop_i,
  output logic         dma_tc_o,
  output logic         dma_ior_no,
  output logic         dma_iow_no,
  output logic [15:0]  dma_data_o,
  input  logic [127:0] dma_data_i,

  output logic [7:0]   tc_event_o,        // one-cycle pulse: channel n reached TC or took EOP
  output logic         axi_err_o          // one-cycle pulse: SLVERR/DECERR on a DMA access
);

  // ------------------------------------------------------------------------------------------
  // I/O port decode. Controller 1 occupies the 16-port block of its first register,
  // controller 2 the 32-port block of its first register (even ports only), the page latches
  // the 16-port block of the page registers.

  logic       sel_dma1, sel_dma2, sel_page, port_ok;
  logic [3:0] dma2_off;

  localparam logic [15:0] PortDma1 = sysdma_reg_pkg::SYSDMA_DMA1_ADDR0;
  localparam logic [15:0] PortDma2 = sysdma_reg_pkg::SYSDMA_DMA2_ADDR0;
  localparam logic [15:0] PortPage = sysdma_reg_pkg::SYSDMA_PAGE0;

  assign sel_dma1 = (reg_port_i[15:4] == PortDma1[15:4]);
  assign sel_dma2 = (reg_port_i[15:5] == PortDma2[15:5]) && !reg_port_i[0];
  assign sel_page = (reg_port_i[15:4] == PortPage[15:4]);
  assign port_ok  = sel_dma1 || sel_dma2 || sel_page;
  assign dma2_off = reg_port_i[4:1];

  // page register (low nibble of its port) of each channel
  localparam logic [31:0] PageIdx = {
    sysdma_reg_pkg::SYSDMA_PAGE7[3:0], sysdma_reg_pkg::SYSDMA_PAGE6[3:0],
    sysdma_reg_pkg::SYSDMA_PAGE5[3:0], sysdma_reg_pkg::SYSDMA_PAGE4[3:0],
    sysdma_reg_pkg::SYSDMA_PAGE3[3:0], sysdma_reg_pkg::SYSDMA_PAGE2[3:0],
    sysdma_reg_pkg::SYSDMA_PAGE1[3:0], sysdma_reg_pkg::SYSDMA_PAGE0[3:0]};

  logic [127:0]     page_q, page_d;     // port 0x80+i: [8i+7:8i]
  logic [7:0]       rdata_q, rdata_d, dma1_rdata, dma2_rdata;
  logic             err_q, err_d;

  // (written without a variable-indexed write: Icarus 11 loops on that form in always_comb)
  always_comb begin
    for (int i = 0; i < 16; i++) begin
      page_d[8*i +: 8] = page_q[8*i +: 8];
      if (reg_req_i && reg_we_i && sel_page && reg_port_i[3:0] == 4'(i)) begin
        page_d[8*i +: 8] = reg_wdata_i;
      end
    end
  end

  logic [7:0] page_rdata;
  assign page_rdata = page_q[8*reg_port_i[3:0] +: 8];
  assign err_d      = reg_req_i && !port_ok;
  assign rdata_d    = !reg_req_i ? rdata_q :
                      sel_dma1   ? dma1_rdata :
                      sel_dma2   ? dma2_rdata :
                      sel_page   ? page_rdata : 8'hFF;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      page_q  <= '0;
      rdata_q <= '0;
      err_q   <= 1'b0;
    end else begin
      page_q  <= page_d;
      rdata_q <= rdata_d;
      err_q   <= err_d;
    end
  end

  assign reg_rdata_o = rdata_q;
  assign reg_err_o   = err_q;

  // ------------------------------------------------------------------------------------------
  // the two controllers

  logic        dma1_hrq, dma2_hrq, cpu_hlda_q, cpu_hlda_d;
  logic [7:0]  hold_cnt_q, hold_cnt_d;
  logic [3:0]  dma1_dack_act, dma2_dack_act, dma1_tc_event, dma2_tc_event;
  logic        dma1_tc, dma2_tc, dma1_ior, dma2_ior, dma1_iow, dma2_iow;
  logic [1:0]  dma1_chan, dma2_chan;
  logic [15:0] dma1_dev_rdata, dma2_dev_rdata;
  logic        dma1_mem_req, dma2_mem_req, dma1_mem_we, dma2_mem_we;
  logic [1:0]  dma1_mem_chan, dma2_mem_chan;
  logic [15:0] dma1_mem_addr, dma2_mem_addr, dma1_mem_wdata, dma2_mem_wdata;
  logic        dma1_gnt, dma2_gnt, dma1_done, dma2_done;
  logic [15:0] mem_rdata_q;

  // byte channels use the low 8 bits of their 16-bit data slot
  assign dma1_dev_rdata = {8'h00, dma_data_i[16 * dma1_chan +: 8]};
  assign dma2_dev_rdata = dma_data_i[64 + 16 * dma2_chan +: 16];

  dma8237 u_dma1 (
    .clk_i,
    .rst_ni,
    .ce_i        (dma_ce_i),
    .reg_req_i   (reg_req_i && sel_dma1),
    .reg_we_i,
    .reg_off_i   (reg_port_i[3:0]),
    .reg_wdata_i,
    .reg_rdata_o (dma1_rdata),
    .dreq_i      (dma_dreq_i[3:0]),
    .dack_o      (dma_dack_o[3:0]),
    .dack_act_o  (dma1_dack_act),
    .eop_i       (dma_eop_i[3:0]),
    .hrq_o       (dma1_hrq),
    // the slave's HLDA is the master's DACK of the cascade channel (channel 4)
    .hlda_i      (dma2_dack_act[0]),
    .tc_o        (dma1_tc),
    .tc_event_o  (dma1_tc_event),
    .ior_o       (dma1_ior),
    .iow_o       (dma1_iow),
    .chan_o      (dma1_chan),
    .dev_rdata_i (dma1_dev_rdata),
    .mem_req_o   (dma1_mem_req),
    .mem_we_o    (dma1_mem_we),
    .mem_chan_o  (dma1_mem_chan),
    .mem_addr_o  (dma1_mem_addr),
    .mem_wdata_o (dma1_mem_wdata),
    .mem_gnt_i   (dma1_gnt),
    .mem_done_i  (dma1_done),
    .mem_rdata_i (mem_rdata_q)
  );

  dma8237 u_dma2 (
    .clk_i,
    .rst_ni,
    .ce_i        (dma_ce_i),
    .reg_req_i   (reg_req_i && sel_dma2),
    .reg_we_i,
    .reg_off_i   (dma2_off),
    .reg_wdata_i,
    .reg_rdata_o (dma2_rdata),
    // DREQ4 is the slave's HRQ, through the master's DREQ sense logic as wired on a PC/AT
    .dreq_i      ({dma_dreq_i[7:5], dma1_hrq}),
    .dack_o      (dma_dack_o[7:4]),
    .dack_act_o  (dma2_dack_act),
    .eop_i       (dma_eop_i[7:4]),
    .hrq_o       (dma2_hrq),
    .hlda_i      (cpu_hlda_q),
    .tc_o        (dma2_tc),
    .tc_event_o  (dma2_tc_event),
    .ior_o       (dma2_ior),
    .iow_o       (dma2_iow),
    .chan_o      (dma2_chan),
    .dev_rdata_i (dma2_dev_rdata),
    .mem_req_o   (dma2_mem_req),
    .mem_we_o    (dma2_mem_we),
    .mem_chan_o  (dma2_mem_chan),
    .mem_addr_o  (dma2_mem_addr),
    .mem_wdata_o (dma2_mem_wdata),
    .mem_gnt_i   (dma2_gnt),
    .mem_done_i  (dma2_done),
    .mem_rdata_i (mem_rdata_q)
  );

  // the "CPU": grants HLDA hold_delay_i DMA clocks after HRQ (0 acts as 1), drops it with HRQ
  always_comb begin
    cpu_hlda_d = cpu_hlda_q;
    hold_cnt_d = hold_cnt_q;
    if (dma_ce_i) begin
      if (!dma2_hrq) begin
        cpu_hlda_d = 1'b0;
        hold_cnt_d = '0;
      end else if (!cpu_hlda_q) begin
        if (hold_cnt_q + 8'd1 >= hold_delay_i) cpu_hlda_d = 1'b1;
        else hold_cnt_d = hold_cnt_q + 8'd1;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cpu_hlda_q <= 1'b0;
      hold_cnt_q <= '0;
    end else begin
      cpu_hlda_q <= cpu_hlda_d;
      hold_cnt_q <= hold_cnt_d;
    end
  end

  assign dma_ior_no = !(dma1_ior || dma2_ior);
  assign dma_iow_no = !(dma1_iow || dma2_iow);
  assign dma_tc_o   = dma1_tc || dma2_tc;
  assign dma_data_o = mem_rdata_q;
  // channel 4 carries the cascade and never reaches a terminal count
  assign tc_event_o = {dma2_tc_event[3:1], 1'b0, dma1_tc_event};

  // ------------------------------------------------------------------------------------------
  // AXI4 master: one single-beat access at a time, every output from a flop

  typedef enum logic [2:0] {AxIdle, AxAr, AxR, AxAw, AxB} axi_state_e;
  axi_state_e ax_state_q, ax_state_d;

  logic        owner_q, owner_d;                 // 0: u_dma1 (byte), 1: u_dma2 (word)
  logic [31:0] ax_addr_q, ax_addr_d, wdata_q, wdata_d;
  logic [3:0]  wstrb_q, wstrb_d;
  logic [2:0]  size_q, size_d;
  logic        arvalid_q, arvalid_d, awvalid_q, awvalid_d, wvalid_q, wvalid_d;
  logic        rready_q, rready_d, bready_q, bready_d;
  logic        done_q, done_d, err_pulse_q, err_pulse_d;
  logic [15:0] mem_rdata_d;

  // the access the granted controller asks for
  logic        req_any, pick2, req_we;
  logic [1:0]  req_chan;
  logic [15:0] req_addr, req_wdata;
  logic [7:0]  req_page;
  logic [31:0] req_axaddr;

  assign req_any   = dma1_mem_req || dma2_mem_req;
  assign pick2     = !dma1_mem_req;
  assign req_we    = pick2 ? dma2_mem_we : dma1_mem_we;
  assign req_chan  = pick2 ? dma2_mem_chan : dma1_mem_chan;
  assign req_addr  = pick2 ? dma2_mem_addr : dma1_mem_addr;
  assign req_wdata = pick2 ? dma2_mem_wdata : dma1_mem_wdata;
  assign req_page  = page_q[8*PageIdx[4*{pick2, req_chan}+:4] +: 8];
  // byte channels: page is A23-A16; word channels: page bits 7:1 are A23-A17 and the 8237's
  // address counts words (A16-A1); neither carries into the page
  assign req_axaddr = pick2 ? {8'h00, req_page[7:1], req_addr, 1'b0}
                            : {8'h00, req_page, req_addr};

  logic unused_page0;
  assign unused_page0 = req_page[0];

  assign dma1_gnt = (ax_state_q == AxIdle) && req_any && !pick2;
  assign dma2_gnt = (ax_state_q == AxIdle) && req_any && pick2;
  assign dma1_done = done_q && !owner_q;
  assign dma2_done = done_q && owner_q;

  logic [31:0] rword;
  logic [15:0] rsel;
  always_comb begin
    rword = axi_rdata_i;
    if (axi_rresp_i[1]) rword = '1;   // SLVERR/DECERR: the device gets all ones
    rsel = {8'h00, rword[8 * ax_addr_q[1:0] +: 8]};
    if (owner_q) rsel = ax_addr_q[1] ? rword[31:16] : rword[15:0];
  end

  always_comb begin
    ax_state_d  = ax_state_q;
    owner_d     = owner_q;
    ax_addr_d   = ax_addr_q;
    wdata_d     = wdata_q;
    wstrb_d     = wstrb_q;
    size_d      = size_q;
    arvalid_d   = arvalid_q;
    awvalid_d   = awvalid_q;
    wvalid_d    = wvalid_q;
    rready_d    = rready_q;
    bready_d    = bready_q;
    mem_rdata_d = mem_rdata_q;
    done_d      = 1'b0;
    err_pulse_d = 1'b0;
    unique case (ax_state_q)
      AxIdle: begin
        if (req_any) begin
          owner_d   = pick2;
          ax_addr_d = req_axaddr;
          size_d    = pick2 ? 3'd1 : 3'd0;
          if (pick2) begin
            wdata_d = {2{req_wdata}};
            wstrb_d = req_axaddr[1] ? 4'b1100 : 4'b0011;
          end else begin
            wdata_d = {4{req_wdata[7:0]}};
            wstrb_d = 4'b0001 << req_axaddr[1:0];
          end
          if (req_we) begin
            awvalid_d  = 1'b1;
            wvalid_d   = 1'b1;
            ax_state_d = AxAw;
          end else begin
            arvalid_d  = 1'b1;
            ax_state_d = AxAr;
          end
        end
      end
      AxAr: begin
        if (axi_arready_i) begin
          arvalid_d  = 1'b0;
          rready_d   = 1'b1;
          ax_state_d = AxR;
        end
      end
      AxR: begin
        if (axi_rvalid_i) begin
          rready_d    = 1'b0;
          mem_rdata_d = rsel;
          done_d      = 1'b1;
          err_pulse_d = axi_rresp_i[1];
          ax_state_d  = AxIdle;
        end
      end
      AxAw: begin
        if (axi_awready_i) awvalid_d = 1'b0;
        if (axi_wready_i) wvalid_d = 1'b0;
        if ((axi_awready_i || !awvalid_q) && (axi_wready_i || !wvalid_q)) begin
          bready_d   = 1'b1;
          ax_state_d = AxB;
        end
      end
      AxB: begin
        if (axi_bvalid_i) begin
          bready_d    = 1'b0;
          done_d      = 1'b1;
          err_pulse_d = axi_bresp_i[1];   // the write was dropped; the transfer goes on
          ax_state_d  = AxIdle;
        end
      end
      default: ax_state_d = AxIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ax_state_q  <= AxIdle;
      owner_q     <= 1'b0;
      ax_addr_q   <= '0;
      wdata_q     <= '0;
      wstrb_q     <= '0;
      size_q      <= '0;
      arvalid_q   <= 1'b0;
      awvalid_q   <= 1'b0;
      wvalid_q    <= 1'b0;
      rready_q    <= 1'b0;
      bready_q    <= 1'b0;
      mem_rdata_q <= '0;
      done_q      <= 1'b0;
      err_pulse_q <= 1'b0;
    end else begin
      ax_state_q  <= ax_state_d;
      owner_q     <= owner_d;
      ax_addr_q   <= ax_addr_d;
      wdata_q     <= wdata_d;
      wstrb_q     <= wstrb_d;
      size_q      <= size_d;
      arvalid_q   <= arvalid_d;
      awvalid_q   <= awvalid_d;
      wvalid_q    <= wvalid_d;
      rready_q    <= rready_d;
      bready_q    <= bready_d;
      mem_rdata_q <= mem_rdata_d;
      done_q      <= done_d;
      err_pulse_q <= err_pulse_d;
    end
  end

  assign axi_awid_o    = '0;
  assign axi_awaddr_o  = ax_addr_q;
  assign axi_awlen_o   = '0;
  assign axi_awsize_o  = size_q;
  assign axi_awburst_o = 2'b01;   // INCR
  assign axi_awvalid_o = awvalid_q;
  assign axi_wdata_o   = wdata_q;
  assign axi_wstrb_o   = wstrb_q;
  assign axi_wlast_o   = 1'b1;
  assign axi_wvalid_o  = wvalid_q;
  assign axi_bready_o  = bready_q;
  assign axi_arid_o    = '0;
  assign axi_araddr_o  = ax_addr_q;
  assign axi_arlen_o   = '0;
  assign axi_arsize_o  = size_q;
  assign axi_arburst_o = 2'b01;
  assign axi_arvalid_o = arvalid_q;
  assign axi_rready_o  = rready_q;
  assign axi_err_o     = err_pulse_q;

  // no use: IDs (one outstanding access, ID 0), RLAST (single beats), RESP[0] (only
  // SLVERR/DECERR matter), the DREQ4 pin (channel 4 is the internal cascade), the slave's
  // logical DACKs and the master's DACK1-3 (pins only), channel 4's TC (never happens)
  logic unused_inputs;
  assign unused_inputs = ^{axi_bid_i, axi_rid_i, axi_rlast_i, axi_bresp_i[0], axi_rresp_i[0],
                          dma_dreq_i[4], dma1_dack_act, dma2_dack_act[3:1], dma2_tc_event[0]};

endmodule
