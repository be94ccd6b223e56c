// dma8237: one Intel 8237A-compatible DMA controller (4 channels), as used twice in sysdma.
//
// Register offsets and field positions come from the generated sysdma_reg_pkg (controller 1's
// names: its ports 0x00-0x0F are the 8237A's own offsets 0-15). The core is clocked by the
// system clock; its state machine advances only on ce_i (the DMA clock). Register accesses,
// memory handshakes and device-data sampling run at the system clock.
//
// Memory is reached through a request/grant/done port (sysdma's AXI master): one access in
// flight; mem_req_o is held until mem_gnt_i, mem_done_i ends the access. The 8237A's READY
// input is modelled by that completion: a state that must end with the memory access done
// (S3, or S2 with compressed timing; S13; S23) is followed by wait states until it is.
//
// See docs/sysdma/theory_of_operation.md for the state sequences and timing table.


module dma8237 #(
  // system cycles from the device-read strobe falling to sampling the device's data: the
  // harness's device model answers one cycle after it sees a strobe change (contracts.md 6)
  parameter int DevSettle = 3
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        ce_i,          // DMA clock enable

  // register port: offset 0..15 (8237A A3-A0); rdata is valid in the cycle of the request
  input  logic        reg_req_i,
  input  logic        reg_we_i,
  input  logic [3:0]  reg_off_i,
  input  logic [7:0]  reg_wdata_i,
  output logic [7:0]  reg_rdata_o,

  // DMA handshake, pin levels (sense set by the command register)
  input  logic [3:0]  dreq_i,
  output logic [3:0]  dack_o,
  output logic [3:0]  dack_act_o,    // DACK as a logical level (active high), for the cascade
  input  logic [3:0]  eop_i,         // external EOP per channel, active high
  output logic        hrq_o,
  input  logic        hlda_i,
  output logic        tc_o,          // EOP out: during S4/S24 of the transfer that reaches TC
  output logic [3:0]  tc_event_o,    // one system cycle: channel n ended by TC or EOP

  // device side (fly-by): strobes active high, chan_o is the channel holding DACK
  output logic        ior_o,         // device drives data (write transfer: device -> memory)
  output logic        iow_o,         // device takes data (read transfer: memory -> device)
  output logic [1:0]  chan_o,
  input  logic [15:0] dev_rdata_i,   // data of the device on chan_o

  // memory port
  output logic        mem_req_o,
  output logic        mem_we_o,
  output logic [1:0]  mem_chan_o,    // channel whose page register extends the address
  output logic [15:0] mem_addr_o,
  output logic [15:0] mem_wdata_o,
  input  logic        mem_gnt_i,
  input  logic        mem_done_i,
  input  logic [15:0] mem_rdata_i
);

  // ------------------------------------------------------------------------------------------
  // register offsets and fields (controller 1's generated names; the layout is per 8237A)

  // command is written, status read at the same offset; master clear / temporary likewise
  localparam logic [3:0] OffCommand = sysdma_reg_pkg::SYSDMA_DMA1_COMMAND[3:0];
  localparam logic [3:0] OffRequest = sysdma_reg_pkg::SYSDMA_DMA1_REQUEST[3:0];
  localparam logic [3:0] OffSmask   = sysdma_reg_pkg::SYSDMA_DMA1_SMASK[3:0];
  localparam logic [3:0] OffMode    = sysdma_reg_pkg::SYSDMA_DMA1_MODE[3:0];
  localparam logic [3:0] OffClrff   = sysdma_reg_pkg::SYSDMA_DMA1_CLRFF[3:0];
  localparam logic [3:0] OffTemp    = sysdma_reg_pkg::SYSDMA_DMA1_TEMP[3:0];
  localparam logic [3:0] OffClrmask = sysdma_reg_pkg::SYSDMA_DMA1_CLRMASK[3:0];
  localparam logic [3:0] OffWrmask  = sysdma_reg_pkg::SYSDMA_DMA1_WRMASK[3:0];
  localparam logic [15:0] OffAddr = {
    sysdma_reg_pkg::SYSDMA_DMA1_ADDR3[3:0], sysdma_reg_pkg::SYSDMA_DMA1_ADDR2[3:0],
    sysdma_reg_pkg::SYSDMA_DMA1_ADDR1[3:0], sysdma_reg_pkg::SYSDMA_DMA1_ADDR0[3:0]};
  localparam logic [15:0] OffCount = {
    sysdma_reg_pkg::SYSDMA_DMA1_COUNT3[3:0], sysdma_reg_pkg::SYSDMA_DMA1_COUNT2[3:0],
    sysdma_reg_pkg::SYSDMA_DMA1_COUNT1[3:0], sysdma_reg_pkg::SYSDMA_DMA1_COUNT0[3:0]};

  localparam int ReqSelMsb   = sysdma_reg_pkg::SYSDMA_DMA1_REQUEST_SEL_MSB;
  localparam int ReqSelLsb   = sysdma_reg_pkg::SYSDMA_DMA1_REQUEST_SEL_LSB;
  localparam int ReqSet      = sysdma_reg_pkg::SYSDMA_DMA1_REQUEST_SET_LSB;
  localparam int SmaskSelMsb = sysdma_reg_pkg::SYSDMA_DMA1_SMASK_SEL_MSB;
  localparam int SmaskSelLsb = sysdma_reg_pkg::SYSDMA_DMA1_SMASK_SEL_LSB;
  localparam int SmaskSet    = sysdma_reg_pkg::SYSDMA_DMA1_SMASK_SET_LSB;
  localparam int ModeSelMsb  = sysdma_reg_pkg::SYSDMA_DMA1_MODE_SEL_MSB;
  localparam int ModeSelLsb  = sysdma_reg_pkg::SYSDMA_DMA1_MODE_SEL_LSB;
  localparam int ModeTypeMsb = sysdma_reg_pkg::SYSDMA_DMA1_MODE_TYPE_MSB;
  localparam int ModeTypeLsb = sysdma_reg_pkg::SYSDMA_DMA1_MODE_TYPE_LSB;
  localparam int ModeModeMsb = sysdma_reg_pkg::SYSDMA_DMA1_MODE_MODE_MSB;
  localparam int ModeModeLsb = sysdma_reg_pkg::SYSDMA_DMA1_MODE_MODE_LSB;
  localparam int ModeAi      = sysdma_reg_pkg::SYSDMA_DMA1_MODE_AUTOINIT_LSB;
  localparam int ModeDec     = sysdma_reg_pkg::SYSDMA_DMA1_MODE_DEC_LSB;
  localparam int WrmaskMsb   = sysdma_reg_pkg::SYSDMA_DMA1_WRMASK_MASK_MSB;
  localparam int WrmaskLsb   = sysdma_reg_pkg::SYSDMA_DMA1_WRMASK_MASK_LSB;

  localparam int CmdMem2mem  = sysdma_reg_pkg::SYSDMA_DMA1_COMMAND_MEM2MEM_LSB;
  localparam int CmdAddrhold = sysdma_reg_pkg::SYSDMA_DMA1_COMMAND_ADDRHOLD_LSB;
  localparam int CmdDisable  = sysdma_reg_pkg::SYSDMA_DMA1_COMMAND_DISABLE_LSB;
  localparam int CmdCompr    = sysdma_reg_pkg::SYSDMA_DMA1_COMMAND_COMPRESSED_LSB;
  localparam int CmdRotate   = sysdma_reg_pkg::SYSDMA_DMA1_COMMAND_ROTATE_LSB;
  localparam int CmdExtwrite = sysdma_reg_pkg::SYSDMA_DMA1_COMMAND_EXTWRITE_LSB;
  localparam int CmdDreqlow  = sysdma_reg_pkg::SYSDMA_DMA1_COMMAND_DREQLOW_LSB;
  localparam int CmdDackhigh = sysdma_reg_pkg::SYSDMA_DMA1_COMMAND_DACKHIGH_LSB;

  localparam logic [1:0] TypeWrite    = 2'(sysdma_reg_pkg::SYSDMA_DMA1_MODE_TYPE_WRITE);
  localparam logic [1:0] TypeRead     = 2'(sysdma_reg_pkg::SYSDMA_DMA1_MODE_TYPE_READ);
  localparam logic [1:0] ModeDemand   = 2'(sysdma_reg_pkg::SYSDMA_DMA1_MODE_MODE_DEMAND);
  localparam logic [1:0] ModeSingle   = 2'(sysdma_reg_pkg::SYSDMA_DMA1_MODE_MODE_SINGLE);
  localparam logic [1:0] ModeBlock    = 2'(sysdma_reg_pkg::SYSDMA_DMA1_MODE_MODE_BLOCK);
  localparam logic [1:0] ModeCascade  = 2'(sysdma_reg_pkg::SYSDMA_DMA1_MODE_MODE_CASCADE);

  // ------------------------------------------------------------------------------------------
  // state

  typedef enum logic [4:0] {
    SIdle,      // SI: idle, sampling DREQ
    S0,         // HRQ out, waiting for HLDA
    S1,         // upper address byte update (first transfer, or A8-A15 changed)
    S2,         // DACK, address out; read strobe (and extended write strobe)
    S3,         // read strobe; normal write strobe (dropped with compressed timing)
    SWait,      // Sw before S4: memory not ready (the 8237A's READY low)
    S4,         // end of transfer: count/address update, TC/EOP check
    SCascade,   // cascade channel: DACK held while the slave's request stays
    S11, S12, S13, SWait14, S14,   // memory-to-memory: read channel 0 into temporary
    S21, S22, S23, SWait24, S24    // memory-to-memory: write temporary to channel 1
  } dma_state_e;

  dma_state_e state_q, state_d;

  logic [63:0]      base_addr_q, base_addr_d, cur_addr_q, cur_addr_d;   // channel n: [16n+15:16n]
  logic [63:0]      base_cnt_q, base_cnt_d, cur_cnt_q, cur_cnt_d;
  logic [7:0]       mode_type_q, mode_type_d, mode_mode_q, mode_mode_d;  // channel n: [2n+1:2n]
  logic [3:0]       mode_ai_q, mode_ai_d, mode_dec_q, mode_dec_d;
  logic [7:0]       cmd_q, cmd_d;
  logic [3:0]       mask_q, mask_d, swreq_q, swreq_d, tc_q, tc_d;
  logic [15:0]      temp_q, temp_d;
  logic             ff_q, ff_d;
  logic [1:0]       prio_q, prio_d;    // highest-priority channel (rotating priority)
  logic [1:0]       chan_q, chan_d;    // channel in service
  logic             dack_q, dack_d;
  // memory access of the current transfer: requested, granted (in flight), done
  logic             mem_req_q, mem_req_d, mem_busy_q, mem_busy_d, mem_ok_q, mem_ok_d;
  logic             mem_we_q, mem_we_d;
  logic [1:0]       mem_chan_q, mem_chan_d;
  logic [15:0]      mem_addr_q, mem_addr_d, mem_wdata_q, mem_wdata_d, rdata_q, rdata_d;
  logic [1:0]       dev_cnt_q, dev_cnt_d;   // system cycles the read strobe has been low
  logic             sampled_q, sampled_d;   // device data taken for this transfer
  logic             eop_q, eop_d;           // external EOP seen during this transfer
  logic [3:0]       tc_event_q, tc_event_d;
  logic             gap_q, gap_d;           // first system cycle of S2: strobes off

  // ------------------------------------------------------------------------------------------
  // decoded configuration

  logic [3:0] dreq_act, pending;
  logic       compressed, extwrite, mem2mem;
  logic [1:0] cur_type, cur_mode;
  logic       xfer_write, xfer_read;   // write: device -> memory; read: memory -> device

  assign compressed = cmd_q[CmdCompr] & ~cmd_q[CmdMem2mem];
  assign extwrite   = cmd_q[CmdExtwrite] & ~compressed;
  assign mem2mem    = cmd_q[CmdMem2mem];
  assign dreq_act   = dreq_i ^ {4{cmd_q[CmdDreqlow]}};
  assign cur_type   = mode_type_q[2*chan_q +: 2];
  assign cur_mode   = mode_mode_q[2*chan_q +: 2];
  assign xfer_write = (cur_type == TypeWrite);
  assign xfer_read  = (cur_type == TypeRead);

  // a hardware request needs the mask clear; a software request is not maskable but is only
  // honoured in block mode (8237A datasheet, Request Register)
  always_comb begin
    for (int n = 0; n < 4; n++) begin
      pending[n] = (dreq_act[n] & ~mask_q[n]) | (swreq_q[n] & (mode_mode_q[2*n +: 2] == ModeBlock));
    end
  end

  // highest-priority pending channel, starting at prio_q (always 0 with fixed priority)
  logic       pick_valid;
  logic [1:0] pick_chan;
  always_comb begin
    pick_valid = 1'b0;
    pick_chan  = 2'd0;
    for (int i = 3; i >= 0; i--) begin
      if (pending[2'(prio_q + 2'(i))]) begin
        pick_valid = 1'b1;
        pick_chan  = 2'(prio_q + 2'(i));
      end
    end
  end

  // a transfer's strobe states, and memory-to-memory
  logic xfer_state, m2m_state;
  assign xfer_state = ((state_q == S2) || (state_q == S3) || (state_q == SWait) ||
                       (state_q == S4)) && dack_q;
  assign m2m_state  = (state_q == S11) || (state_q == S12) || (state_q == S13) ||
                      (state_q == SWait14) || (state_q == S14) || (state_q == S21) ||
                      (state_q == S22) || (state_q == S23) || (state_q == SWait24) ||
                      (state_q == S24);

  // ------------------------------------------------------------------------------------------
  // register reads (combinational; sysdma registers the result)

  logic [3:0] status_req;
  assign status_req = dreq_act | swreq_q;

  always_comb begin
    reg_rdata_o = 8'hFF;   // write-only registers read as an undriven bus
    for (int n = 0; n < 4; n++) begin
      if (reg_off_i == OffAddr[4*n +: 4]) begin
        reg_rdata_o = ff_q ? cur_addr_q[16*n+8 +: 8] : cur_addr_q[16*n +: 8];
      end
      if (reg_off_i == OffCount[4*n +: 4]) begin
        reg_rdata_o = ff_q ? cur_cnt_q[16*n+8 +: 8] : cur_cnt_q[16*n +: 8];
      end
    end
    if (reg_off_i == OffCommand) reg_rdata_o = {status_req, tc_q};
    if (reg_off_i == OffTemp)    reg_rdata_o = temp_q[7:0];
  end

  // ------------------------------------------------------------------------------------------
  // next state

  logic [1:0] mode_sel;
  assign mode_sel = reg_wdata_i[ModeSelMsb:ModeSelLsb];

  logic end_service, start_xfer, next_s1;
  logic tc_now, eop_now, hold0;

  // the address after this transfer (used in S4). A continuous assignment, not a variable of
  // the next-state block: Icarus 11 puts a part-select of a variable the block itself writes
  // into the block's sensitivity list and then re-evaluates it forever.
  logic [15:0] next_addr;
  assign next_addr = mode_dec_q[chan_q] ? cur_addr_q[16*chan_q +: 16] - 16'd1
                                        : cur_addr_q[16*chan_q +: 16] + 16'd1;

  always_comb begin
    state_d     = state_q;
    base_addr_d = base_addr_q;
    cur_addr_d  = cur_addr_q;
    base_cnt_d  = base_cnt_q;
    cur_cnt_d   = cur_cnt_q;
    mode_type_d = mode_type_q;
    mode_mode_d = mode_mode_q;
    mode_ai_d   = mode_ai_q;
    mode_dec_d  = mode_dec_q;
    cmd_d       = cmd_q;
    mask_d      = mask_q;
    swreq_d     = swreq_q;
    tc_d        = tc_q;
    temp_d      = temp_q;
    ff_d        = ff_q;
    prio_d      = prio_q;
    chan_d      = chan_q;
    dack_d      = dack_q;
    mem_req_d   = mem_req_q;
    mem_busy_d  = mem_busy_q;
    mem_ok_d    = mem_ok_q;
    mem_we_d    = mem_we_q;
    mem_chan_d  = mem_chan_q;
    mem_addr_d  = mem_addr_q;
    mem_wdata_d = mem_wdata_q;
    rdata_d     = rdata_q;
    dev_cnt_d   = dev_cnt_q;
    sampled_d   = sampled_q;
    eop_d       = eop_q;
    tc_event_d  = '0;
    gap_d       = 1'b0;
    end_service = 1'b0;
    start_xfer  = 1'b0;
    next_s1     = 1'b0;
    tc_now      = 1'b0;
    eop_now     = 1'b0;
    hold0       = mem2mem & cmd_q[CmdAddrhold];

    // ---- memory handshake (system clock)
    if (mem_req_q && mem_gnt_i) begin
      mem_req_d  = 1'b0;
      mem_busy_d = 1'b1;
    end
    if (mem_busy_q && mem_done_i) begin
      mem_busy_d = 1'b0;
      mem_ok_d   = 1'b1;
      rdata_d    = mem_rdata_i;
    end

    // ---- device data sampling for write transfers (device -> memory), system clock
    if (ior_o && !sampled_q) begin
      if (dev_cnt_q == 2'(DevSettle - 1)) begin
        sampled_d   = 1'b1;
        mem_wdata_d = dev_rdata_i;
        mem_req_d   = 1'b1;
        mem_we_d    = 1'b1;
        mem_chan_d  = chan_q;
        mem_addr_d  = cur_addr_q[16*chan_q +: 16];
      end else begin
        dev_cnt_d = dev_cnt_q + 2'd1;
      end
    end

    // ---- external EOP of the channel in service, seen anywhere in its transfer
    if (xfer_state) eop_d = eop_q | eop_i[chan_q];
    if (m2m_state) eop_d = eop_q | eop_i[0] | eop_i[1];

    // ---- state machine (DMA clock)
    if (ce_i) begin
      unique case (state_q)
        SIdle: begin
          if (!cmd_q[CmdDisable] && pending != 4'b0) state_d = S0;
        end
        S0: begin
          if (hlda_i) begin
            if (cmd_q[CmdDisable] || !pick_valid) begin
              state_d = SIdle;   // the request went away before the bus was granted
            end else begin
              chan_d = pick_chan;
              if (mode_mode_q[2*pick_chan +: 2] == ModeCascade) begin
                state_d = SCascade;
                dack_d  = 1'b1;
              end else if (mem2mem && pick_chan == 2'd0) begin
                state_d     = S11;
                mem_req_d   = 1'b1;
                mem_we_d    = 1'b0;
                mem_chan_d  = 2'd0;
                mem_addr_d  = cur_addr_q[15:0];
                mem_ok_d    = 1'b0;
                eop_d       = 1'b0;
              end else begin
                state_d    = S1;   // the first transfer of a service always outputs A8-A15
                start_xfer = 1'b1;
              end
            end
          end
        end
        SCascade: begin
          if (!dreq_act[chan_q]) end_service = 1'b1;
        end
        S1: state_d = S2;
        S2: begin
          if (!compressed) state_d = S3;
          else if (mem_ok_q || !(xfer_read || xfer_write)) state_d = S4;
          else state_d = SWait;
        end
        S3: begin
          if (mem_ok_q || !(xfer_read || xfer_write)) state_d = S4;
          else state_d = SWait;
        end
        SWait: if (mem_ok_q) state_d = S4;
        S4: begin
          tc_now  = (cur_cnt_q[16*chan_q +: 16] == 16'd0);
          eop_now = eop_q | eop_i[chan_q];
          cur_addr_d[16*chan_q +: 16] = next_addr;
          cur_cnt_d[16*chan_q +: 16]  = cur_cnt_q[16*chan_q +: 16] - 16'd1;
          if (tc_now || eop_now) begin
            tc_d[chan_q]       = 1'b1;
            swreq_d[chan_q]    = 1'b0;
            tc_event_d[chan_q] = 1'b1;
            if (mode_ai_q[chan_q]) begin
              cur_addr_d[16*chan_q +: 16] = base_addr_q[16*chan_q +: 16];
              cur_cnt_d[16*chan_q +: 16]  = base_cnt_q[16*chan_q +: 16];
            end else begin
              mask_d[chan_q] = 1'b1;
            end
            end_service = 1'b1;
          end else if (cur_mode == ModeSingle) begin
            end_service = 1'b1;
          end else if (cur_mode == ModeDemand && !(dreq_act[chan_q] && !mask_q[chan_q])) begin
            end_service = 1'b1;
          end else begin
            // block, or demand with DREQ still active: next transfer, S1 only if A8-A15 move
            start_xfer = 1'b1;
            next_s1    = (next_addr[15:8] != cur_addr_q[16*chan_q+8 +: 8]);
            if (next_s1) state_d = S1;
            else state_d = S2;
          end
        end
        S11: state_d = S12;
        S12: state_d = S13;
        S13: begin
          if (mem_ok_q) state_d = S14;
          else state_d = SWait14;
        end
        SWait14: if (mem_ok_q) state_d = S14;
        S14: begin
          temp_d = rdata_q;
          if (!hold0) begin
            cur_addr_d[15:0] = mode_dec_q[0] ? cur_addr_q[15:0] - 16'd1 : cur_addr_q[15:0] + 16'd1;
          end
          cur_cnt_d[15:0] = cur_cnt_q[15:0] - 16'd1;
          if (cur_cnt_q[15:0] == 16'd0) begin
            tc_d[0] = 1'b1;
            if (mode_ai_q[0]) begin
              cur_addr_d[15:0] = base_addr_q[15:0];
              cur_cnt_d[15:0]  = base_cnt_q[15:0];
            end
          end
          state_d     = S21;
          mem_req_d   = 1'b1;
          mem_we_d    = 1'b1;
          mem_chan_d  = 2'd1;
          mem_addr_d  = cur_addr_q[31:16];
          mem_wdata_d = rdata_q;
          mem_ok_d    = 1'b0;
        end
        S21: state_d = S22;
        S22: state_d = S23;
        S23: begin
          if (mem_ok_q) state_d = S24;
          else state_d = SWait24;
        end
        SWait24: if (mem_ok_q) state_d = S24;
        S24: begin
          // channel 1's terminal count (or EOP) ends memory-to-memory
          tc_now  = (cur_cnt_q[31:16] == 16'd0);
          eop_now = eop_q | eop_i[0] | eop_i[1];
          cur_addr_d[31:16] = mode_dec_q[1] ? cur_addr_q[31:16] - 16'd1 : cur_addr_q[31:16] + 16'd1;
          cur_cnt_d[31:16]  = cur_cnt_q[31:16] - 16'd1;
          if (tc_now || eop_now) begin
            tc_d[1]       = 1'b1;
            tc_event_d[1] = 1'b1;
            swreq_d[1:0]  = 2'b00;
            if (mode_ai_q[1]) begin
              cur_addr_d[31:16] = base_addr_q[31:16];
              cur_cnt_d[31:16]  = base_cnt_q[31:16];
            end else begin
              mask_d[1] = 1'b1;
            end
            if (mode_ai_q[0]) begin
              cur_addr_d[15:0] = base_addr_q[15:0];
              cur_cnt_d[15:0]  = base_cnt_q[15:0];
            end else begin
              mask_d[0] = 1'b1;
            end
            end_service = 1'b1;
          end else begin
            state_d    = S11;
            mem_req_d  = 1'b1;
            mem_we_d   = 1'b0;
            mem_chan_d = 2'd0;
            mem_addr_d = cur_addr_q[15:0];
            mem_ok_d   = 1'b0;
            eop_d      = 1'b0;
          end
        end
        default: state_d = SIdle;
      endcase

      if (end_service) begin
        state_d = SIdle;
        dack_d  = 1'b0;
        if (cmd_q[CmdRotate]) prio_d = chan_q + 2'd1;   // the serviced channel goes last
      end
      if (start_xfer) begin
        // a read transfer fetches memory as soon as the address is out
        mem_req_d  = (mode_type_q[2*chan_d +: 2] == TypeRead);
        mem_we_d   = 1'b0;
        mem_chan_d = chan_d;
        mem_addr_d = (state_q == S4) ? next_addr : cur_addr_q[16*chan_d +: 16];
        mem_ok_d   = 1'b0;
        dev_cnt_d  = 2'd0;
        sampled_d  = 1'b0;
        eop_d      = 1'b0;
      end
      if (state_d == S2) dack_d = 1'b1;
      // strobes stay off in the first system cycle of S2, so back-to-back transfers give the
      // device one strobe pulse each
      if (state_d == S2) gap_d = 1'b1;
    end

    // ---- register writes (system clock; the CPU's write wins over the state machine)
    if (reg_req_i && reg_we_i) begin
      for (int n = 0; n < 4; n++) begin
        if (reg_off_i == OffAddr[4*n +: 4]) begin
          if (ff_q) begin
            base_addr_d[16*n+8 +: 8] = reg_wdata_i;
            cur_addr_d[16*n+8 +: 8]  = reg_wdata_i;
          end else begin
            base_addr_d[16*n +: 8] = reg_wdata_i;
            cur_addr_d[16*n +: 8]  = reg_wdata_i;
          end
          ff_d = ~ff_q;
        end
        if (reg_off_i == OffCount[4*n +: 4]) begin
          if (ff_q) begin
            base_cnt_d[16*n+8 +: 8] = reg_wdata_i;
            cur_cnt_d[16*n+8 +: 8]  = reg_wdata_i;
          end else begin
            base_cnt_d[16*n +: 8] = reg_wdata_i;
            cur_cnt_d[16*n +: 8]  = reg_wdata_i;
          end
          ff_d = ~ff_q;
        end
      end
      if (reg_off_i == OffCommand) cmd_d = reg_wdata_i;
      if (reg_off_i == OffRequest) begin
        swreq_d[reg_wdata_i[ReqSelMsb:ReqSelLsb]] = reg_wdata_i[ReqSet];
      end
      if (reg_off_i == OffSmask) begin
        mask_d[reg_wdata_i[SmaskSelMsb:SmaskSelLsb]] = reg_wdata_i[SmaskSet];
      end
      if (reg_off_i == OffMode) begin
        mode_type_d[2*mode_sel +: 2] = reg_wdata_i[ModeTypeMsb:ModeTypeLsb];
        mode_mode_d[2*mode_sel +: 2] = reg_wdata_i[ModeModeMsb:ModeModeLsb];
        mode_ai_d[mode_sel]          = reg_wdata_i[ModeAi];
        mode_dec_d[mode_sel]         = reg_wdata_i[ModeDec];
      end
      if (reg_off_i == OffClrff) ff_d = 1'b0;
      if (reg_off_i == OffClrmask) mask_d = 4'b0000;
      if (reg_off_i == OffWrmask) begin
        mask_d = reg_wdata_i[WrmaskMsb:WrmaskLsb];
      end
      if (reg_off_i == OffTemp) begin
        // master clear: as a hardware reset (mode and address/count registers are kept)
        state_d    = SIdle;
        cmd_d      = '0;
        tc_d       = '0;
        swreq_d    = '0;
        temp_d     = '0;
        ff_d       = 1'b0;
        mask_d     = 4'hF;
        prio_d     = '0;
        dack_d     = 1'b0;
        mem_req_d  = 1'b0;   // an access already granted completes on the bus, unseen
        mem_busy_d = 1'b0;
        mem_ok_d   = 1'b0;
      end
    end
    if (reg_req_i && !reg_we_i) begin
      for (int n = 0; n < 4; n++) begin
        if (reg_off_i == OffAddr[4*n +: 4] || reg_off_i == OffCount[4*n +: 4]) ff_d = ~ff_q;
      end
      // status read clears the TC bits; a TC in the same cycle stays set
      if (reg_off_i == OffCommand) tc_d = tc_d & ~tc_q;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= SIdle;
      base_addr_q <= '0;
      cur_addr_q  <= '0;
      base_cnt_q  <= '0;
      cur_cnt_q   <= '0;
      mode_type_q <= '0;
      mode_mode_q <= '0;
      mode_ai_q   <= '0;
      mode_dec_q  <= '0;
      cmd_q       <= '0;
      mask_q      <= 4'hF;
      swreq_q     <= '0;
      tc_q        <= '0;
      temp_q      <= '0;
      ff_q        <= 1'b0;
      prio_q      <= '0;
      chan_q      <= '0;
      dack_q      <= 1'b0;
      mem_req_q   <= 1'b0;
      mem_busy_q  <= 1'b0;
      mem_ok_q    <= 1'b0;
      mem_we_q    <= 1'b0;
      mem_chan_q  <= '0;
      mem_addr_q  <= '0;
      mem_wdata_q <= '0;
      rdata_q     <= '0;
      dev_cnt_q   <= '0;
      sampled_q   <= 1'b0;
      eop_q       <= 1'b0;
      tc_event_q  <= '0;
      gap_q       <= 1'b0;
    end else begin
      state_q     <= state_d;
      base_addr_q <= base_addr_d;
      cur_addr_q  <= cur_addr_d;
      base_cnt_q  <= base_cnt_d;
      cur_cnt_q   <= cur_cnt_d;
      mode_type_q <= mode_type_d;
      mode_mode_q <= mode_mode_d;
      mode_ai_q   <= mode_ai_d;
      mode_dec_q  <= mode_dec_d;
      cmd_q       <= cmd_d;
      mask_q      <= mask_d;
      swreq_q     <= swreq_d;
      tc_q        <= tc_d;
      temp_q      <= temp_d;
      ff_q        <= ff_d;
      prio_q      <= prio_d;
      chan_q      <= chan_d;
      dack_q      <= dack_d;
      mem_req_q   <= mem_req_d;
      mem_busy_q  <= mem_busy_d;
      mem_ok_q    <= mem_ok_d;
      mem_we_q    <= mem_we_d;
      mem_chan_q  <= mem_chan_d;
      mem_addr_q  <= mem_addr_d;
      mem_wdata_q <= mem_wdata_d;
      rdata_q     <= rdata_d;
      dev_cnt_q   <= dev_cnt_d;
      sampled_q   <= sampled_d;
      eop_q       <= eop_d;
      tc_event_q  <= tc_event_d;
      gap_q       <= gap_d;
    end
  end

  // ------------------------------------------------------------------------------------------
  // outputs (all decoded from flops)


  always_comb begin
    for (int n = 0; n < 4; n++) dack_act_o[n] = dack_q && (chan_q == 2'(n));
  end
  assign dack_o = dack_act_o ^ {4{~cmd_q[CmdDackhigh]}};
  assign hrq_o  = (state_q != SIdle);
  assign chan_o = chan_q;

  // device -> memory: the device drives data from S2 to the end of S4
  assign ior_o = xfer_state && !gap_q && xfer_write;
  // memory -> device: the write strobe in S3 (normal), S2 (extended write) or S4 (compressed),
  // held off until the memory data is there (the wait-state rule keeps S4 behind it)
  assign iow_o = xfer_state && !gap_q && xfer_read && mem_ok_q &&
                 ((state_q == S4) || (state_q == SWait) ||
                  (state_q == S3) || (state_q == S2 && extwrite));

  assign tc_o = ((state_q == S4) && dack_q && (cur_cnt_q[16*chan_q +: 16] == 16'd0)) ||
                ((state_q == S24) && (cur_cnt_q[31:16] == 16'd0));
  assign tc_event_o = tc_event_q;

  assign mem_req_o   = mem_req_q;
  assign mem_we_o    = mem_we_q;
  assign mem_chan_o  = mem_chan_q;
  assign mem_addr_o  = mem_addr_q;
  assign mem_wdata_o = mem_wdata_q;

  // the word controller's temporary register keeps 16 bits; only the low byte is readable
  logic unused_temp;
  assign unused_temp = ^temp_q[15:8];

endmodule
