// hba_seq: the HBA's SCSI command sequencer, an initiator on a parallel SCSI-2 bus.
//
// One command (one I_T_L nexus) at a time: bus-free wait, arbitration, selection with or
// without ATN, MESSAGE OUT (IDENTIFY, then ABORT / BUS DEVICE RESET / MESSAGE REJECT when
// pending, NOP otherwise), COMMAND, DATA IN / DATA OUT through the FIFO, STATUS, MESSAGE IN
// (COMMAND COMPLETE, SAVE DATA POINTER, RESTORE POINTERS, DISCONNECT, MESSAGE REJECT,
// IDENTIFY after reselection; anything else is answered with MESSAGE REJECT), disconnection and
// reselection, SCSI bus reset issued and detected. Asynchronous REQ/ACK as the initiator:
// wait REQ, wait DATA_SETUP (sample / drive), assert ACK, wait REQ released (and ACK_HOLD),
// release ACK and the data. Odd parity is generated on everything driven and checked on what
// is read. docs/hba/programmers_guide.md describes every ending; the state names below are the
// values of STATUS.SEQ_STATE and END.STATE.
//
// bus_i is the resolved bus after the two-flop synchronizer in hba.sv; bus_o is registered.
// Our own lines come back on bus_i three cycles after we change them, which is why every
// place that looks for someone else's line after releasing the same line waits first.
module hba_seq #(
  parameter int FifoAw = 6
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // configuration (registers, used live)
  input  logic              enable_i,
  input  logic [2:0]        init_id_i,
  input  logic [2:0]        tgt_id_i,
  input  logic [2:0]        tgt_lun_i,
  input  logic              disc_priv_i,
  input  logic              sel_no_atn_i,
  input  logic              parity_check_i,
  input  logic              mover_bm_i,      // 1: bus-master mover
  input  logic [1:0]        dir_i,           // 0 none, 1 in, 2 out
  input  logic [31:0]       xfer_len_i,
  input  logic [127:0]      cdb_i,           // byte n in [8n+7:8n]
  input  logic [4:0]        cdb_len_i,       // 0: from the group code
  input  logic [7:0]        data_setup_i,
  input  logic [7:0]        ack_hold_i,
  input  logic [31:0]       sel_timeout_i,
  input  logic [7:0]        bus_free_i,
  input  logic [7:0]        arb_delay_i,
  input  logic [7:0]        bus_settle_i,
  input  logic [31:0]       watchdog_i,
  input  logic [31:0]       reset_width_i,

  // COMMAND register (one-cycle pulses)
  input  logic              start_i,
  input  logic              abort_i,
  input  logic              bdr_i,
  input  logic              bus_reset_i,

  // SCSI bus (contracts.md 11.1 bit order), 1 = asserted
  input  logic [17:0]       bus_i,
  output logic [17:0]       bus_o,

  // FIFO, SCSI side
  input  logic [FifoAw:0]   fifo_level_i,
  input  logic [FifoAw:0]   fifo_space_i,
  input  logic [7:0]        fifo_head_i,
  output logic              fifo_push_o,
  output logic [7:0]        fifo_wdata_o,
  output logic              fifo_pop_o,
  output logic              fifo_flush_o,

  // data movers
  output logic              cmd_start_o,     // pulse: a START was accepted
  output logic              mover_start_o,   // pulse: a command with a data phase starts
  output logic              mover_active_o,  // level: the subordinate mover may request
  output logic              mover_tail_o,    // level: DATA IN, no more bytes will come
  output logic              mover_drain_o,   // pulse: bus master, DATA IN drain
  output logic              mover_stop_o,    // pulse: bus master, abandon
  input  logic              mover_busy_i,    // bus master engine busy
  input  logic              mover_done_i,    // bus master engine done (pulse)
  input  logic              mover_end_i,     // level: TC seen / list exhausted
  input  logic              mover_err_axi_i, // pulse
  input  logic              mover_err_sg_i,  // pulse
  input  logic [31:0]       mover_moved_i,   // bus master: DATA IN bytes written with OKAY

  // state and results
  output logic              busy_o,
  output logic              connected_o,
  output logic              disconnected_o,
  output logic              atn_o,
  output logic [4:0]        state_o,
  output logic              end_o,           // pulse: the command ended
  output logic [2:0]        end_reason_o,    // END.REASON values
  output logic [4:0]        end_state_o,
  output logic [5:0]        quals_o,         // SHORT, PARITY, DMA_ERR, SG_ERR, OVERRUN, UNDERRUN
  output logic              rejected_o,      // pulse
  output logic              bus_reset_o,     // pulse: a bus reset is over (RST released)
  output logic [7:0]        status_byte_o,
  output logic              status_valid_o,
  output logic [7:0]        msg_in_o,
  output logic [31:0]       xferred_o,
  output logic [31:0]       residual_o,
  output logic [31:0]       extra_o
);

  typedef enum logic [4:0] {
    SeqIdle        = 5'd0,
    SeqBusFree     = 5'd1,
    SeqArb         = 5'd2,
    SeqSelAssert   = 5'd3,
    SeqSelDrive    = 5'd4,
    SeqSelWait     = 5'd5,
    SeqSelRelease  = 5'd6,
    SeqPhaseWait   = 5'd7,
    SeqPhaseSettle = 5'd8,
    SeqOutWait     = 5'd9,
    SeqInWait      = 5'd10,
    SeqDriveSetup  = 5'd11,
    SeqAck         = 5'd12,
    SeqDisconnected = 5'd13,
    SeqReselAck    = 5'd14,
    SeqDrain       = 5'd15,
    SeqStop        = 5'd16,
    SeqFinish      = 5'd17,
    SeqResetIssue  = 5'd18,
    SeqResetWait   = 5'd19
  } seq_state_e;

  typedef enum logic [2:0] {
    EndNone = 3'd0, EndComplete = 3'd1, EndSelTimeout = 3'd2, EndAborted = 3'd3,
    EndUnexpFree = 3'd4, EndWatchdog = 3'd5, EndBusReset = 3'd6
  } end_reason_e;

  localparam logic [7:0] MsgCommandComplete = 8'h00;
  localparam logic [7:0] MsgSaveDataPointer = 8'h02;
  localparam logic [7:0] MsgRestorePointers = 8'h03;
  localparam logic [7:0] MsgDisconnect      = 8'h04;
  localparam logic [7:0] MsgAbort           = 8'h06;
  localparam logic [7:0] MsgReject          = 8'h07;
  localparam logic [7:0] MsgNop             = 8'h08;
  localparam logic [7:0] MsgBdr             = 8'h0C;

  localparam logic [31:0] MinResetWidth = 32'd1250;   // 25 us at 50 MHz (SCSI-2 reset hold)
  localparam logic [7:0]  EchoGuard     = 8'd4;       // our own lines return on bus_i after 3

  // ---------------------------------------------------------------------------------------
  // The bus as seen

  logic [7:0] b_db;
  logic       b_dbp, b_bsy, b_sel, b_rst, b_msg, b_cd, b_io, b_req;
  assign b_db  = bus_i[7:0];
  assign b_dbp = bus_i[8];
  assign b_bsy = bus_i[9];
  assign b_sel = bus_i[10];
  assign b_rst = bus_i[12];
  assign b_msg = bus_i[13];
  assign b_cd  = bus_i[14];
  assign b_io  = bus_i[15];
  assign b_req = bus_i[16];

  logic unused_bus;
  assign unused_bus = bus_i[11] ^ bus_i[17];   // ATN and ACK are only ever ours

  logic b_identify;      // the byte on the bus is an IDENTIFY message (bit 7)
  assign b_identify = bus_i[7];

  logic [2:0] phase;
  assign phase = {b_msg, b_cd, b_io};
  localparam logic [2:0] PhDataOut = 3'b000, PhDataIn = 3'b001, PhCommand = 3'b010,
                         PhStatus = 3'b011, PhMsgOut = 3'b110, PhMsgIn = 3'b111;

  // Odd parity: DB7-0 plus DBP hold an odd number of asserted bits, so DBP = ~^byte.

  // ---------------------------------------------------------------------------------------
  // State

  seq_state_e  state_q, state_d;
  logic [31:0] tmr_q, tmr_d;          // delay countdown
  logic [31:0] wd_q, wd_d;            // watchdog / selection timeout countdown
  logic        wd_en_q, wd_en_d;

  // bus outputs
  logic [7:0]  o_db_q, o_db_d;
  logic        o_dbp_q, o_dbp_d, o_bsy_q, o_bsy_d, o_sel_q, o_sel_d, o_atn_q, o_atn_d;
  logic        o_rst_q, o_rst_d, o_ack_q, o_ack_d;

  // command context
  logic        cmd_q, cmd_d;              // a command is in progress (START .. Finish)
  logic        msg_only_q, msg_only_d;    // ABORT/BDR as a command of its own
  logic        connected_q, connected_d;
  logic        ident_pend_q, ident_pend_d;
  logic        msg_pend_q, msg_pend_d;
  logic [7:0]  msg_byte_q, msg_byte_d;
  logic        exp_free_q, exp_free_d;    // COMMAND COMPLETE received
  logic        exp_abort_q, exp_abort_d;  // ABORT / BDR sent
  logic        exp_disc_q, exp_disc_d;    // DISCONNECT received
  logic        disc_q, disc_d;            // disconnected, nexus kept
  logic [4:0]  cdb_idx_q, cdb_idx_d;
  logic [31:0] count_q, count_d;
  logic [31:0] saved_q, saved_d;
  logic [31:0] extra_q, extra_d;
  logic [7:0]  in_byte_q, in_byte_d;
  logic [7:0]  status_q, status_d;
  logic        status_v_q, status_v_d;
  logic [7:0]  msg_in_q, msg_in_d;
  logic        dead_q, dead_d;            // the mover can move no more (error / starvation)
  logic        done_seen_q, done_seen_d;
  logic        reset_end_q, reset_end_d;  // a command was in progress when the reset came
  logic [2:0]  end_reason_q, end_reason_d;
  logic [4:0]  end_state_q, end_state_d;
  // qualifiers
  logic        q_short_q, q_short_d, q_par_q, q_par_d, q_axi_q, q_axi_d, q_sg_q, q_sg_d;
  logic        q_over_q, q_over_d, q_under_q, q_under_d;
  // bus reset event
  logic        rst_prev_q;

  // ---------------------------------------------------------------------------------------
  // Derived values

  logic [4:0] cdb_len;
  always_comb begin
    if (cdb_len_i != '0) begin
      cdb_len = (cdb_len_i > 5'd16) ? 5'd16 : cdb_len_i;
    end else begin
      unique case (cdb_i[7:5])            // SCSI-2 7.2: group code of the operation code
        3'd1, 3'd2: cdb_len = 5'd10;
        3'd4:       cdb_len = 5'd16;
        3'd5:       cdb_len = 5'd12;
        default:    cdb_len = 5'd6;
      endcase
    end
  end

  // The next CDB byte (0x00 past the CDB). Continuous assignments, not variables of the
  // next-state block: Icarus 11 re-runs a block with part-selects in it in a zero-delay loop.
  logic [7:0] cdb_byte;
  assign cdb_byte = (cdb_idx_q < cdb_len) ? cdb_i[8*cdb_idx_q[3:0] +: 8] : 8'h00;

  logic [31:0] len_eff;
  assign len_eff = (dir_i == 2'd0 || msg_only_q) ? 32'd0 : xfer_len_i;

  logic [7:0] ds;        // data setup, at least one cycle
  assign ds = (data_setup_i == '0) ? 8'd1 : data_setup_i;

  logic [7:0] id_bits;
  assign id_bits = (8'd1 << init_id_i) | (8'd1 << tgt_id_i);

  logic [7:0] higher_mask;   // ID bits above ours (none for ID 7)
  assign higher_mask = 8'hFE << init_id_i;

  logic resel_match;
  assign resel_match = b_sel && !b_bsy && b_io && b_db == id_bits && enable_i;

  logic [7:0] identify;
  assign identify = 8'h80 | (disc_priv_i ? 8'h40 : 8'h00) | {5'b0, tgt_lun_i};

  logic par_ok;
  assign par_ok = !parity_check_i || (^{b_dbp, b_db});

  logic is_connected_state;
  assign is_connected_state = state_q == SeqPhaseWait || state_q == SeqPhaseSettle ||
                              state_q == SeqOutWait || state_q == SeqInWait ||
                              state_q == SeqDriveSetup || state_q == SeqAck;

  // (explicit comparisons, not `inside`: Yosys 0.23 and Icarus 11 do not take it)
  logic in_ending;       // draining, stopping, finishing or in a bus reset
  assign in_ending = state_q == SeqDrain || state_q == SeqStop || state_q == SeqFinish ||
                     state_q == SeqResetIssue || state_q == SeqResetWait;
  logic in_reset;
  assign in_reset = state_q == SeqResetIssue || state_q == SeqResetWait;
  logic drain_reason;    // endings after which DATA IN bytes still go to memory
  assign drain_reason = end_reason_q == EndComplete || end_reason_q == EndAborted ||
                        end_reason_q == EndUnexpFree;

  logic wd_fire;
  assign wd_fire = wd_en_q && wd_q == '0;

  logic bm_in;           // bus-master DATA IN: the engine was started for this command
  assign bm_in = mover_bm_i && dir_i == 2'd1 && len_eff != '0;

  logic tmr_done;
  assign tmr_done = tmr_q == '0;

  logic accept;          // a START / ABORT / BDR that starts a command now
  assign accept = state_q == SeqIdle && (start_i || abort_i || bdr_i) && enable_i &&
                  !mover_busy_i && !end_q;

  // ---------------------------------------------------------------------------------------
  // Next state. The one-cycle requests to the FIFO, the movers and the registers (*_c) leave
  // the module through flops (*_q): Icarus Verilog 11 re-runs a block whose variables feed a
  // process in another module in a zero-delay loop, and the flops cost nothing here (the next
  // FIFO access of the sequencer is always several cycles later).

  logic fifo_pop_c, fifo_flush_c, mover_start_c, cmd_start_c, mover_stop_c, rejected_c, end_c;
  logic fifo_pop_q, fifo_flush_q, mover_start_q, cmd_start_q, mover_stop_q, rejected_q, end_q;

  always_comb begin
    state_d      = state_q;
    tmr_d        = (tmr_q != '0) ? tmr_q - 32'd1 : '0;
    o_db_d       = o_db_q;
    o_dbp_d      = o_dbp_q;
    o_bsy_d      = o_bsy_q;
    o_sel_d      = o_sel_q;
    o_atn_d      = o_atn_q;
    o_rst_d      = o_rst_q;
    o_ack_d      = o_ack_q;
    cmd_d        = cmd_q;
    msg_only_d   = msg_only_q;
    connected_d  = connected_q;
    ident_pend_d = ident_pend_q;
    msg_pend_d   = msg_pend_q;
    msg_byte_d   = msg_byte_q;
    exp_free_d   = exp_free_q;
    exp_abort_d  = exp_abort_q;
    exp_disc_d   = exp_disc_q;
    disc_d       = disc_q;
    cdb_idx_d    = cdb_idx_q;
    count_d      = count_q;
    saved_d      = saved_q;
    extra_d      = extra_q;
    in_byte_d    = in_byte_q;
    status_d     = status_q;
    status_v_d   = status_v_q;
    msg_in_d     = msg_in_q;
    dead_d       = dead_q;
    done_seen_d  = done_seen_q || mover_done_i;
    reset_end_d  = reset_end_q;
    end_reason_d = end_reason_q;
    end_state_d  = end_state_q;
    q_short_d    = q_short_q;
    q_par_d      = q_par_q;
    q_axi_d      = q_axi_q || (cmd_q && mover_err_axi_i);
    q_sg_d       = q_sg_q || (cmd_q && mover_err_sg_i);
    q_over_d     = q_over_q;
    q_under_d    = q_under_q;
    if (cmd_q && (mover_err_axi_i || mover_err_sg_i)) dead_d = 1'b1;

    fifo_pop_c    = 1'b0;
    fifo_flush_c  = 1'b0;
    mover_start_c = 1'b0;
    cmd_start_c   = 1'b0;
    mover_stop_c  = 1'b0;
    rejected_c    = 1'b0;
    end_c         = 1'b0;

    unique case (state_q)
      // ---- idle: START, or ABORT/BDR as a command of its own
      SeqIdle: begin
        if (start_i || abort_i || bdr_i) begin
          if (!accept) begin
            rejected_c = 1'b1;
          end else begin
            cmd_d        = 1'b1;
            msg_only_d   = !start_i;
            ident_pend_d = start_i ? !sel_no_atn_i : abort_i;
            msg_pend_d   = !start_i;
            msg_byte_d   = bdr_i ? MsgBdr : MsgAbort;
            exp_free_d   = 1'b0;
            exp_abort_d  = 1'b0;
            exp_disc_d   = 1'b0;
            disc_d       = 1'b0;
            cdb_idx_d    = '0;
            count_d      = '0;
            saved_d      = '0;
            extra_d      = '0;
            status_d     = '0;
            status_v_d   = 1'b0;
            dead_d       = 1'b0;
            done_seen_d  = 1'b0;
            reset_end_d  = 1'b0;
            {q_short_d, q_par_d, q_axi_d, q_sg_d, q_over_d, q_under_d} = '0;
            fifo_flush_c  = 1'b1;
            mover_start_c = start_i && dir_i != 2'd0 && xfer_len_i != '0;
            cmd_start_c   = start_i;
            state_d       = SeqBusFree;
            tmr_d         = 32'(bus_free_i);
          end
        end
      end

      // ---- bus free: BSY and SEL released for BUS_FREE cycles. While an ABORT for a
      // disconnected target is on its way, that target may reselect us first.
      SeqBusFree: begin
        if (disc_q && resel_match) begin
          state_d = SeqReselAck;
          o_bsy_d = 1'b1;
        end else if (b_bsy || b_sel || b_rst) begin
          tmr_d = 32'(bus_free_i);
        end else if (tmr_done) begin
          // arbitration: BSY and our ID bit (no parity during arbitration)
          state_d = SeqArb;
          o_bsy_d = 1'b1;
          o_db_d  = 8'd1 << init_id_i;
          o_dbp_d = 1'b0;
          tmr_d   = 32'(arb_delay_i) + 32'(EchoGuard);
        end
      end

      SeqArb: begin
        if (b_sel) begin
          // someone else won and selects or reselects: back off
          state_d = SeqBusFree;
          o_bsy_d = 1'b0;
          o_db_d  = '0;
          tmr_d   = 32'(bus_free_i);
        end else if (tmr_done) begin
          if ((b_db & higher_mask) != '0) begin
            state_d = SeqBusFree;
            o_bsy_d = 1'b0;
            o_db_d  = '0;
            tmr_d   = 32'(bus_free_i);
          end else begin
            state_d = SeqSelAssert;
            o_sel_d = 1'b1;
            tmr_d   = 32'(bus_settle_i);
          end
        end
      end

      // ---- selection: SEL, both IDs (with parity) and ATN, then release BSY
      SeqSelAssert: begin
        if (tmr_done) begin
          state_d = SeqSelDrive;
          o_db_d  = id_bits;
          o_dbp_d = (~^(id_bits));
          o_atn_d = !sel_no_atn_i || msg_pend_q;
          tmr_d   = 32'(bus_settle_i);
        end
      end

      SeqSelDrive: begin
        if (tmr_done) begin
          state_d = SeqSelWait;
          o_bsy_d = 1'b0;
          tmr_d   = 32'(bus_settle_i) + 32'(EchoGuard);
        end
      end

      SeqSelWait: begin
        if (tmr_done && b_bsy) begin
          state_d = SeqSelRelease;
          tmr_d   = 32'(bus_settle_i);
          ident_pend_d = ident_pend_q && o_atn_q;
        end
        // (the selection timeout is the watchdog of this state, below)
      end

      SeqSelRelease: begin
        if (tmr_done) begin
          state_d     = SeqPhaseWait;
          o_sel_d     = 1'b0;
          o_db_d      = '0;
          o_dbp_d     = 1'b0;
          o_atn_d     = o_atn_q || msg_pend_q;
          connected_d = 1'b1;
          disc_d      = 1'b0;
          tmr_d       = 32'(EchoGuard);
        end
      end

      // ---- information transfer phases
      SeqPhaseWait: begin
        if (!tmr_done) begin
          // let our last change come back
        end else if (!b_bsy && !b_sel) begin
          connected_d = 1'b0;
          o_atn_d     = 1'b0;
          if (exp_disc_q) begin
            state_d    = SeqDisconnected;
            disc_d     = 1'b1;
            exp_disc_d = 1'b0;
          end else begin
            end_state_d = state_q;
            if (exp_abort_q)     end_reason_d = EndAborted;
            else if (exp_free_q) end_reason_d = EndComplete;
            else                 end_reason_d = EndUnexpFree;
            state_d = SeqDrain;
          end
        end else if (b_req) begin
          state_d = SeqPhaseSettle;
          tmr_d   = 32'(ds);
        end
      end

      SeqPhaseSettle: begin
        if (tmr_done) begin
          unique case (phase)
            PhDataOut: begin
              if (dir_i == 2'd2 && count_q < len_eff && !dead_q &&
                  (fifo_level_i != '0 || !mover_end_i)) begin
                if (fifo_level_i != '0) begin
                  fifo_pop_c = 1'b1;
                  count_d    = count_q + 32'd1;
                  o_db_d     = fifo_head_i;
                  o_dbp_d    = (~^(fifo_head_i));
                  state_d    = SeqDriveSetup;
                  tmr_d      = 32'(ds);
                end else begin
                  state_d = SeqOutWait;
                end
              end else begin
                // overrun (more than XFER_LEN, or the wrong direction) or the mover cannot
                // supply: 0x00 pad bytes, ATN, and ABORT at the next MESSAGE OUT
                if (dir_i == 2'd2 && count_q < len_eff) q_under_d = 1'b1;
                else                                    q_over_d  = 1'b1;
                extra_d    = extra_q + 32'd1;
                o_db_d     = 8'h00;
                o_dbp_d    = 1'b1;
                o_atn_d    = 1'b1;
                if (!(msg_pend_q && msg_byte_q == MsgBdr)) begin
                  msg_pend_d = 1'b1;
                  msg_byte_d = MsgAbort;
                end
                state_d = SeqDriveSetup;
                tmr_d   = 32'(ds);
              end
            end
            PhDataIn: begin
              if (!par_ok) q_par_d = 1'b1;
              in_byte_d = b_db;
              if (dir_i == 2'd1 && count_q < len_eff && !dead_q && !mover_end_i) begin
                if (fifo_space_i != '0) begin
                  count_d     = count_q + 32'd1;
                  state_d     = SeqAck;
                  o_ack_d     = 1'b1;
                  tmr_d       = 32'(ack_hold_i);
                end else begin
                  state_d = SeqInWait;
                end
              end else begin
                // overrun or the mover cannot take more: the byte is discarded
                if (dir_i == 2'd1 && count_q < len_eff) q_under_d = 1'b1;
                else                                    q_over_d  = 1'b1;
                extra_d = extra_q + 32'd1;
                state_d = SeqAck;
                o_ack_d = 1'b1;
                tmr_d   = 32'(ack_hold_i);
              end
            end
            PhCommand: begin
              o_db_d    = cdb_byte;
              o_dbp_d   = ~^cdb_byte;
              cdb_idx_d = (cdb_idx_q == 5'd31) ? cdb_idx_q : cdb_idx_q + 5'd1;
              state_d   = SeqDriveSetup;
              tmr_d     = 32'(ds);
            end
            PhStatus: begin
              if (!par_ok) q_par_d = 1'b1;
              status_d   = b_db;
              status_v_d = 1'b1;
              state_d    = SeqAck;
              o_ack_d    = 1'b1;
              tmr_d      = 32'(ack_hold_i);
            end
            PhMsgOut: begin
              if (ident_pend_q) begin
                o_db_d       = identify;
                o_dbp_d      = (~^(identify));
                ident_pend_d = 1'b0;
                // SCSI-2 6.2.1: ATN is negated before ACK of the last message byte
                o_atn_d      = msg_pend_q;
              end else if (msg_pend_q) begin
                o_db_d     = msg_byte_q;
                o_dbp_d    = (~^(msg_byte_q));
                msg_pend_d = 1'b0;
                o_atn_d    = 1'b0;
                if (msg_byte_q == MsgAbort || msg_byte_q == MsgBdr) exp_abort_d = 1'b1;
              end else begin
                o_db_d  = MsgNop;
                o_dbp_d = (~^(MsgNop));
                o_atn_d = 1'b0;
              end
              state_d = SeqDriveSetup;
              tmr_d   = 32'(ds);
            end
            PhMsgIn: begin
              if (!par_ok) q_par_d = 1'b1;
              msg_in_d = b_db;
              state_d  = SeqAck;
              o_ack_d  = 1'b1;
              tmr_d    = 32'(ack_hold_i);
              if (b_identify) begin
                // IDENTIFY (after reselection): the nexus continues
              end else if (b_db == MsgCommandComplete) begin
                exp_free_d = 1'b1;
              end else if (b_db == MsgSaveDataPointer) begin
                saved_d = count_q;
              end else if (b_db == MsgDisconnect) begin
                exp_disc_d = 1'b1;
              end else if (b_db == MsgReject) begin
                // our last message was rejected: nothing to undo
              end else if (b_db == MsgRestorePointers && count_q == saved_q) begin
                // nothing moved since the save: the pointers already are the saved ones
              end else begin
                // unsupported (extended messages, RESTORE POINTERS after data moved, ...):
                // MESSAGE REJECT, ATN raised before ACK (SCSI-2 6.6.14)
                o_atn_d = 1'b1;
                if (!msg_pend_q) begin
                  msg_pend_d = 1'b1;
                  msg_byte_d = MsgReject;
                end
              end
            end
            default: begin
              // reserved phases 100/101: handshake the byte, drive nothing
              state_d = SeqAck;
              o_ack_d = 1'b1;
              tmr_d   = 32'(ack_hold_i);
            end
          endcase
        end
      end

      SeqOutWait: begin
        if (fifo_level_i != '0) begin
          fifo_pop_c = 1'b1;
          count_d    = count_q + 32'd1;
          o_db_d     = fifo_head_i;
          o_dbp_d    = (~^(fifo_head_i));
          state_d    = SeqDriveSetup;
          tmr_d      = 32'(ds);
        end else if (dead_q || mover_end_i || wd_fire) begin
          q_under_d  = 1'b1;
          dead_d     = 1'b1;
          extra_d    = extra_q + 32'd1;
          o_db_d     = 8'h00;
          o_dbp_d    = 1'b1;
          o_atn_d    = 1'b1;
          if (!(msg_pend_q && msg_byte_q == MsgBdr)) begin
            msg_pend_d = 1'b1;
            msg_byte_d = MsgAbort;
          end
          state_d = SeqDriveSetup;
          tmr_d   = 32'(ds);
        end
      end

      SeqInWait: begin
        if (fifo_space_i != '0 && !dead_q && !mover_end_i) begin
          count_d      = count_q + 32'd1;
          state_d      = SeqAck;
          o_ack_d      = 1'b1;
          tmr_d        = 32'(ack_hold_i);
        end else if (dead_q || mover_end_i || wd_fire) begin
          q_under_d = 1'b1;
          dead_d    = 1'b1;
          extra_d   = extra_q + 32'd1;
          state_d   = SeqAck;
          o_ack_d   = 1'b1;
          tmr_d     = 32'(ack_hold_i);
        end
      end

      SeqDriveSetup: begin
        if (tmr_done) begin
          state_d = SeqAck;
          o_ack_d = 1'b1;
          tmr_d   = 32'(ack_hold_i) + 32'(EchoGuard);
        end
      end

      SeqAck: begin
        if (tmr_done && !b_req) begin
          state_d = SeqPhaseWait;
          o_ack_d = 1'b0;
          o_db_d  = '0;
          o_dbp_d = 1'b0;
          tmr_d   = '0;
        end
      end

      // ---- disconnected: wait for the target to reselect us
      SeqDisconnected: begin
        if (resel_match) begin
          state_d = SeqReselAck;
          o_bsy_d = 1'b1;
        end
      end

      SeqReselAck: begin
        // SCSI-2 6.1.4.2: the initiator answers with BSY and releases it when SEL goes
        if (!b_sel) begin
          state_d     = SeqPhaseWait;
          o_bsy_d     = 1'b0;
          connected_d = 1'b1;
          disc_d      = 1'b0;
          // the target's IDENTIFY re-establishes the nexus: a pending ABORT / BDR goes alone
          ident_pend_d = 1'b0;
          if (msg_pend_q) o_atn_d = 1'b1;
          tmr_d       = 32'(EchoGuard);
        end
      end

      // ---- ending: drain DATA IN to memory, stop the mover, report
      SeqDrain: begin
        if (!(dir_i == 2'd1 && len_eff != '0) || dead_q ||
            !drain_reason) begin
          state_d = SeqStop;
          mover_stop_c = mover_bm_i;
          tmr_d   = 32'(EchoGuard);
        end else if (mover_bm_i) begin
          // (not on mover_end_i: an exactly full list still writes what the FIFO holds)
          if (done_seen_q || wd_fire || (!mover_busy_i && !mover_drain_o)) begin
            if (fifo_level_i != '0) q_under_d = 1'b1;
            state_d = SeqStop;
            mover_stop_c = 1'b1;
            tmr_d   = 32'(EchoGuard);
          end
        end else begin
          if (fifo_level_i == '0 || mover_end_i || wd_fire) begin
            if (fifo_level_i != '0) q_under_d = 1'b1;
            state_d = SeqStop;
            tmr_d   = 32'(EchoGuard);
          end
        end
      end

      SeqStop: begin
        if (tmr_done && (!mover_busy_i || wd_fire)) state_d = SeqFinish;
      end

      SeqFinish: begin
        end_c        = 1'b1;
        fifo_flush_c = 1'b1;
        // DATA IN bytes still in the FIFO never reach memory: they leave XFERRED (so RESIDUAL
        // says what memory lacks) and count as EXTRA (handshaken, discarded). Bus master: so
        // do the bytes the engine did not write with an OKAY response (mover_moved_i counts
        // the written prefix); lost after an error or at the drain, that is UNDERRUN.
        if (dir_i == 2'd1) begin
          count_d = count_q - 32'(fifo_level_i);
          extra_d = extra_q + 32'(fifo_level_i);
          if (bm_in && mover_moved_i < count_q) begin
            count_d = mover_moved_i;
            extra_d = extra_q + (count_q - mover_moved_i);
          end
        end
        q_under_d    = q_under_q || (bm_in && mover_moved_i < count_q &&
                                     (dead_q || drain_reason));
        // short: the target left the data phase early (not: the mover failed, UNDERRUN)
        q_short_d    = end_reason_q == EndComplete && count_q < len_eff && !q_under_d;
        cmd_d        = 1'b0;
        msg_pend_d   = 1'b0;
        ident_pend_d = 1'b0;
        state_d      = SeqIdle;
      end

      // ---- bus reset
      SeqResetIssue: begin
        if (tmr_done) begin
          state_d = SeqResetWait;
          o_rst_d = 1'b0;
          tmr_d   = 32'(EchoGuard);
        end
      end

      SeqResetWait: begin
        if (tmr_done && (!b_rst || wd_fire)) begin
          state_d      = SeqIdle;
          fifo_flush_c = 1'b1;
          if (reset_end_q) begin
            end_c        = 1'b1;
            cmd_d        = 1'b0;
            reset_end_d  = 1'b0;
            // bus master DATA IN: only what the engine wrote with OKAY was delivered
            if (bm_in && mover_moved_i < count_q) begin
              count_d = mover_moved_i;
              extra_d = extra_q + (count_q - mover_moved_i);
            end
          end
        end
      end

      default: state_d = SeqIdle;
    endcase

    // ---- requests that apply in many states

    // A START, or an ABORT/BDR where none can be taken, while busy: refused, nothing changes.
    if (state_q != SeqIdle && start_i) rejected_c = 1'b1;
    if (abort_i || bdr_i) begin
      if (state_q == SeqIdle) begin
        // handled above
      end else if (in_ending || msg_only_q) begin
        rejected_c = 1'b1;
      end else begin
        msg_pend_d = 1'b1;
        msg_byte_d = bdr_i ? MsgBdr : MsgAbort;
        if (connected_q && is_connected_state) o_atn_d = 1'b1;
        if (state_q == SeqDisconnected) begin
          // select the target again and send IDENTIFY + ABORT (or BDR)
          ident_pend_d = abort_i && !bdr_i;
          state_d      = SeqBusFree;
          tmr_d        = 32'(bus_free_i);
        end
      end
    end

    // ---- watchdog (SeqSelWait: the selection timeout)
    if (wd_fire && !in_ending && state_q != SeqIdle && state_q != SeqOutWait &&
        state_q != SeqInWait) begin
      o_db_d       = '0;
      o_dbp_d      = 1'b0;
      o_bsy_d      = 1'b0;
      o_sel_d      = 1'b0;
      o_atn_d      = 1'b0;
      o_ack_d      = 1'b0;
      connected_d  = 1'b0;
      disc_d       = 1'b0;
      end_state_d  = state_q;
      end_reason_d = (state_q == SeqSelWait) ? EndSelTimeout : EndWatchdog;
      state_d      = SeqStop;
      mover_stop_c = mover_bm_i;
      tmr_d        = 32'(EchoGuard);
    end

    // ---- bus reset: issued, or seen from someone else. Overrides everything.
    if (bus_reset_i || (b_rst && !in_reset)) begin
      o_db_d       = '0;
      o_dbp_d      = 1'b0;
      o_bsy_d      = 1'b0;
      o_sel_d      = 1'b0;
      o_atn_d      = 1'b0;
      o_ack_d      = 1'b0;
      connected_d  = 1'b0;
      disc_d       = 1'b0;
      mover_stop_c = mover_bm_i;
      fifo_flush_c = 1'b1;
      rejected_c   = 1'b0;
      if (dir_i == 2'd1 && cmd_q && !in_reset) begin  // as in SeqFinish: flushed, not moved
        count_d = count_d - 32'(fifo_level_i);
        extra_d = extra_d + 32'(fifo_level_i);
      end
      if ((cmd_q || accept) && !in_reset) begin
        reset_end_d  = 1'b1;
        end_state_d  = state_q;
        end_reason_d = EndBusReset;
      end
      if (bus_reset_i) begin
        state_d = SeqResetIssue;
        o_rst_d = 1'b1;
        tmr_d   = (reset_width_i < MinResetWidth) ? MinResetWidth : reset_width_i;
      end else begin
        state_d = SeqResetWait;
        tmr_d   = 32'(EchoGuard);
      end
    end

  end

  // Watchdog: reloaded on every state change (progress). In its own process: the one above
  // must not read what it writes (Icarus Verilog 11 re-runs such a block in a zero-delay loop).
  always_comb begin
    wd_d    = (wd_q != '0) ? wd_q - 32'd1 : '0;
    wd_en_d = wd_en_q;
    if (state_d != state_q) begin
      if (state_d == SeqSelWait) begin
        wd_d    = (sel_timeout_i == '0) ? 32'd1 : sel_timeout_i;
        wd_en_d = 1'b1;
      end else begin
        wd_d    = watchdog_i;
        wd_en_d = watchdog_i != '0;
      end
    end
  end

  // FIFO push (DATA IN), outside the next-state block (see above)
  logic in_take;     // a DATA IN byte within XFER_LEN that the mover can still take
  assign in_take = dir_i == 2'd1 && count_q < len_eff && !dead_q && !mover_end_i &&
                   fifo_space_i != '0;
  assign fifo_push_o  = in_take && ((state_q == SeqPhaseSettle && tmr_done && phase == PhDataIn)
                                    || state_q == SeqInWait);
  assign fifo_wdata_o = (state_q == SeqInWait) ? in_byte_q : b_db;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fifo_pop_q    <= 1'b0;
      fifo_flush_q  <= 1'b0;
      mover_start_q <= 1'b0;
      cmd_start_q   <= 1'b0;
      mover_stop_q  <= 1'b0;
      rejected_q    <= 1'b0;
      end_q         <= 1'b0;
    end else begin
      fifo_pop_q    <= fifo_pop_c;
      fifo_flush_q  <= fifo_flush_c;
      mover_start_q <= mover_start_c;
      cmd_start_q   <= cmd_start_c;
      mover_stop_q  <= mover_stop_c;
      rejected_q    <= rejected_c;
      end_q         <= end_c;
    end
  end

  assign fifo_pop_o    = fifo_pop_q;
  assign fifo_flush_o  = fifo_flush_q;
  assign mover_start_o = mover_start_q;
  assign cmd_start_o   = cmd_start_q;
  assign mover_stop_o  = mover_stop_q;
  assign rejected_o    = rejected_q;
  assign end_o         = end_q;

  // Drain request: one pulse when the bus-master DATA IN drain starts.
  logic drain_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) drain_q <= 1'b0;
    else         drain_q <= state_q == SeqDrain;
  end
  assign mover_drain_o = state_q == SeqDrain && !drain_q && mover_bm_i &&
                         dir_i == 2'd1 && len_eff != '0 && !dead_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= SeqIdle;
      tmr_q        <= '0;
      wd_q         <= '0;
      wd_en_q      <= 1'b0;
      o_db_q       <= '0;
      o_dbp_q      <= 1'b0;
      o_bsy_q      <= 1'b0;
      o_sel_q      <= 1'b0;
      o_atn_q      <= 1'b0;
      o_rst_q      <= 1'b0;
      o_ack_q      <= 1'b0;
      cmd_q        <= 1'b0;
      msg_only_q   <= 1'b0;
      connected_q  <= 1'b0;
      ident_pend_q <= 1'b0;
      msg_pend_q   <= 1'b0;
      msg_byte_q   <= '0;
      exp_free_q   <= 1'b0;
      exp_abort_q  <= 1'b0;
      exp_disc_q   <= 1'b0;
      disc_q       <= 1'b0;
      cdb_idx_q    <= '0;
      count_q      <= '0;
      saved_q      <= '0;
      extra_q      <= '0;
      in_byte_q    <= '0;
      status_q     <= '0;
      status_v_q   <= 1'b0;
      msg_in_q     <= '0;
      dead_q       <= 1'b0;
      done_seen_q  <= 1'b0;
      reset_end_q  <= 1'b0;
      end_reason_q <= EndNone;
      end_state_q  <= '0;
      q_short_q    <= 1'b0;
      q_par_q      <= 1'b0;
      q_axi_q      <= 1'b0;
      q_sg_q       <= 1'b0;
      q_over_q     <= 1'b0;
      q_under_q    <= 1'b0;
      rst_prev_q   <= 1'b0;
    end else begin
      state_q      <= state_d;
      tmr_q        <= tmr_d;
      wd_q         <= wd_d;
      wd_en_q      <= wd_en_d;
      o_db_q       <= o_db_d;
      o_dbp_q      <= o_dbp_d;
      o_bsy_q      <= o_bsy_d;
      o_sel_q      <= o_sel_d;
      o_atn_q      <= o_atn_d;
      o_rst_q      <= o_rst_d;
      o_ack_q      <= o_ack_d;
      cmd_q        <= cmd_d;
      msg_only_q   <= msg_only_d;
      connected_q  <= connected_d;
      ident_pend_q <= ident_pend_d;
      msg_pend_q   <= msg_pend_d;
      msg_byte_q   <= msg_byte_d;
      exp_free_q   <= exp_free_d;
      exp_abort_q  <= exp_abort_d;
      exp_disc_q   <= exp_disc_d;
      disc_q       <= disc_d;
      cdb_idx_q    <= cdb_idx_d;
      count_q      <= count_d;
      saved_q      <= saved_d;
      extra_q      <= extra_d;
      in_byte_q    <= in_byte_d;
      status_q     <= status_d;
      status_v_q   <= status_v_d;
      msg_in_q     <= msg_in_d;
      dead_q       <= dead_d;
      done_seen_q  <= done_seen_d;
      reset_end_q  <= reset_end_d;
      end_reason_q <= end_reason_d;
      end_state_q  <= end_state_d;
      q_short_q    <= q_short_d;
      q_par_q      <= q_par_d;
      q_axi_q      <= q_axi_d;
      q_sg_q       <= q_sg_d;
      q_over_q     <= q_over_d;
      q_under_q    <= q_under_d;
      rst_prev_q   <= b_rst;
    end
  end

  assign bus_o = {o_ack_q, 1'b0, 1'b0, 1'b0, 1'b0, o_rst_q, o_atn_q, o_sel_q, o_bsy_q,
                  o_dbp_q, o_db_q};

  assign busy_o         = state_q != SeqIdle || end_q;   // BUSY falls as the end is reported
  assign connected_o    = connected_q;
  assign disconnected_o = disc_q;
  assign atn_o          = o_atn_q;
  assign state_o        = state_q;
  assign end_reason_o   = end_reason_q;
  assign end_state_o    = end_state_q;
  assign quals_o        = {q_under_q, q_over_q, q_sg_q, q_axi_q, q_par_q, q_short_q};
  assign bus_reset_o    = rst_prev_q && !b_rst;
  assign status_byte_o  = status_q;
  assign status_valid_o = status_v_q;
  assign msg_in_o       = msg_in_q;
  assign xferred_o      = count_q;
  assign residual_o     = len_eff - count_q;
  assign extra_o        = extra_q;
  assign mover_active_o = cmd_q && !msg_only_q && !mover_bm_i && dir_i != 2'd0 &&
                          (!in_ending || state_q == SeqDrain);
  assign mover_tail_o   = dir_i == 2'd1 && (count_q >= len_eff || state_q == SeqDrain);

endmodule
