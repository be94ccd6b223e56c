// hba: the SCSI host bus adapter (issue 3; contracts.md 11.2 and 11.3). Registers behind the
// soc_top register port (contracts.md 9: one-cycle request, registered answer in the next
// cycle), the command sequencer on the SCSI bus, the data FIFO and the two data movers: the
// subordinate mover on a sysdma channel (DREQ/DACK, fly-by) and the bus-master
// scatter/gather engine (hba_sgdma, AXI4 ID 1). irq_o is the level OR of INT_STATUS and
// INT_ENABLE. Every offset, bit position and reset value comes from hba_reg_pkg, generated
// by tools/regtool from rtl/hba/data/hba.regs; docs/hba/programmers_guide.md explains them.
module hba #(
  parameter int DmaChan = 5,            // sysdma channel of the subordinate mover
  parameter int FifoAw  = 6             // data FIFO of 2**FifoAw bytes
) (
  input  logic         clk_i,
  input  logic         rst_ni,

  // register port (byte offset in the 4 KiB window)
  input  logic         reg_req_i,
  input  logic         reg_we_i,
  input  logic [11:0]  reg_addr_i,
  input  logic [31:0]  reg_wdata_i,
  input  logic [3:0]   reg_wstrb_i,
  output logic [31:0]  reg_rdata_o,
  output logic         reg_err_o,

  // SCSI bus (contracts.md 11.1 bit order, 1 = asserted)
  output logic [17:0]  scsi_o,          // our contribution, registered
  input  logic [17:0]  scsi_i,          // the resolved bus, asynchronous: synchronized here

  // subordinate mover: the sysdma channel DmaChan (pin levels as sysdma's)
  output logic         dma_dreq_o,
  input  logic         dma_dack_i,
  input  logic         dma_ior_ni,
  input  logic         dma_iow_ni,
  input  logic         dma_tc_i,
  input  logic [15:0]  dma_data_i,      // memory -> device (sysdma dma_data_o)
  output logic [15:0]  dma_data_o,      // device -> memory
  output logic         dma_sel_o,       // the subordinate mover owns the channel's data lines

  // AXI4 master of the scatter/gather engine (ID 1)
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

  output logic         irq_o
);

  // ---------------------------------------------------------------------------------------
  // Names from the generated package

  localparam logic [31:0] IdReset      = hba_reg_pkg::HBA_ID_RESET;
  localparam logic [31:0] VersionReset = hba_reg_pkg::HBA_VERSION_RESET;

  function automatic logic [31:0] fmask(int lsb, int width);
    fmask = ((32'(1) << width) - 32'(1)) << lsb;
  endfunction

  // writable bits of each read/write register
  localparam logic [31:0] CtrlBits =
      fmask(hba_reg_pkg::HBA_CTRL_INIT_ID_LSB, hba_reg_pkg::HBA_CTRL_INIT_ID_WIDTH)
    | fmask(hba_reg_pkg::HBA_CTRL_DACK_HIGH_LSB, 1) | fmask(hba_reg_pkg::HBA_CTRL_DREQ_LOW_LSB, 1)
    | fmask(hba_reg_pkg::HBA_CTRL_SEL_NO_ATN_LSB, 1) | fmask(hba_reg_pkg::HBA_CTRL_DISC_PRIV_LSB, 1)
    | fmask(hba_reg_pkg::HBA_CTRL_PARITY_CHECK_LSB, 1) | fmask(hba_reg_pkg::HBA_CTRL_MOVER_LSB, 1)
    | fmask(hba_reg_pkg::HBA_CTRL_ENABLE_LSB, 1);
  localparam logic [31:0] TargetBits =
      fmask(hba_reg_pkg::HBA_TARGET_LUN_LSB, hba_reg_pkg::HBA_TARGET_LUN_WIDTH)
    | fmask(hba_reg_pkg::HBA_TARGET_ID_LSB, hba_reg_pkg::HBA_TARGET_ID_WIDTH);
  localparam logic [31:0] CmdCfgBits =
      fmask(hba_reg_pkg::HBA_CMD_CFG_DIR_LSB, hba_reg_pkg::HBA_CMD_CFG_DIR_WIDTH)
    | fmask(hba_reg_pkg::HBA_CMD_CFG_CDB_LEN_LSB, hba_reg_pkg::HBA_CMD_CFG_CDB_LEN_WIDTH);
  localparam logic [31:0] IntBits =
      fmask(hba_reg_pkg::HBA_INT_ENABLE_MASK_LSB, hba_reg_pkg::HBA_INT_ENABLE_MASK_WIDTH);
  localparam logic [31:0] HandshakeBits =
      fmask(hba_reg_pkg::HBA_HANDSHAKE_ACK_HOLD_LSB, hba_reg_pkg::HBA_HANDSHAKE_ACK_HOLD_WIDTH)
    | fmask(hba_reg_pkg::HBA_HANDSHAKE_DATA_SETUP_LSB,
            hba_reg_pkg::HBA_HANDSHAKE_DATA_SETUP_WIDTH);
  localparam logic [31:0] BusTimingBits =
      fmask(hba_reg_pkg::HBA_BUS_TIMING_BUS_SETTLE_LSB,
            hba_reg_pkg::HBA_BUS_TIMING_BUS_SETTLE_WIDTH)
    | fmask(hba_reg_pkg::HBA_BUS_TIMING_ARB_DELAY_LSB,
            hba_reg_pkg::HBA_BUS_TIMING_ARB_DELAY_WIDTH)
    | fmask(hba_reg_pkg::HBA_BUS_TIMING_BUS_FREE_LSB,
            hba_reg_pkg::HBA_BUS_TIMING_BUS_FREE_WIDTH);

  // INT_STATUS bit positions
  localparam int IntCmdDone   = hba_reg_pkg::HBA_INT_STATUS_CMD_DONE_LSB;
  localparam int IntSelTo     = hba_reg_pkg::HBA_INT_STATUS_SEL_TIMEOUT_LSB;
  localparam int IntShort     = hba_reg_pkg::HBA_INT_STATUS_SHORT_LSB;
  localparam int IntParity    = hba_reg_pkg::HBA_INT_STATUS_PARITY_ERR_LSB;
  localparam int IntBusReset  = hba_reg_pkg::HBA_INT_STATUS_BUS_RESET_LSB;
  localparam int IntDmaErr    = hba_reg_pkg::HBA_INT_STATUS_DMA_ERR_LSB;
  localparam int IntSgErr     = hba_reg_pkg::HBA_INT_STATUS_SG_ERR_LSB;
  localparam int IntOverrun   = hba_reg_pkg::HBA_INT_STATUS_OVERRUN_LSB;
  localparam int IntUnderrun  = hba_reg_pkg::HBA_INT_STATUS_UNDERRUN_LSB;
  localparam int IntRejected  = hba_reg_pkg::HBA_INT_STATUS_REJECTED_LSB;
  localparam int IntWatchdog  = hba_reg_pkg::HBA_INT_STATUS_WATCHDOG_LSB;
  localparam int IntAborted   = hba_reg_pkg::HBA_INT_STATUS_ABORTED_LSB;
  localparam int IntUnexpFree = hba_reg_pkg::HBA_INT_STATUS_UNEXP_FREE_LSB;

  // END.REASON values (hba_seq's end_reason_e)
  localparam logic [2:0] EndComplete   = hba_reg_pkg::HBA_END_REASON_COMPLETE;
  localparam logic [2:0] EndSelTimeout = hba_reg_pkg::HBA_END_REASON_SEL_TIMEOUT;
  localparam logic [2:0] EndAborted    = hba_reg_pkg::HBA_END_REASON_ABORTED;
  localparam logic [2:0] EndUnexpFree  = hba_reg_pkg::HBA_END_REASON_UNEXP_FREE;
  localparam logic [2:0] EndWatchdog   = hba_reg_pkg::HBA_END_REASON_WATCHDOG;
  localparam logic [2:0] EndBusReset   = hba_reg_pkg::HBA_END_REASON_BUS_RESET;

  localparam int CmdBusReset = hba_reg_pkg::HBA_COMMAND_BUS_RESET_LSB;
  localparam int CmdFlush    = hba_reg_pkg::HBA_COMMAND_FLUSH_LSB;
  localparam int CmdBdr      = hba_reg_pkg::HBA_COMMAND_BDR_LSB;
  localparam int CmdAbort    = hba_reg_pkg::HBA_COMMAND_ABORT_LSB;
  localparam int CmdStart    = hba_reg_pkg::HBA_COMMAND_START_LSB;

  // ---------------------------------------------------------------------------------------
  // Register state

  logic [31:0] ctrl_q, ctrl_d, target_q, target_d, cmd_cfg_q, cmd_cfg_d, xfer_len_q, xfer_len_d;
  logic [31:0] sg_lo_q, sg_lo_d, sg_hi_q, sg_hi_d;
  logic [127:0] cdb_q, cdb_d;   // CDB byte n in [8n+7:8n]
  logic [31:0] int_status_q, int_status_d, int_enable_q, int_enable_d;
  logic [31:0] handshake_q, handshake_d, sel_timeout_q, sel_timeout_d;
  logic [31:0] bus_timing_q, bus_timing_d, watchdog_q, watchdog_d, reset_width_q, reset_width_d;
  logic [31:0] rdata_q, rdata_d;
  logic        err_q, err_d, irq_q, irq_d;

  // ---------------------------------------------------------------------------------------
  // Address decode

  typedef enum logic [4:0] {
    RegNone, RegId, RegVersion, RegCtrl, RegTarget, RegCmdCfg, RegXferLen, RegSgLo, RegSgHi,
    RegCdb0, RegCdb1, RegCdb2, RegCdb3, RegCommand, RegStatus, RegIntStatus, RegIntEnable,
    RegScsiStatus, RegMsgIn, RegXferred, RegResidual, RegEnd, RegFifoLevel, RegDmaCount,
    RegSgDescs, RegExtra, RegHandshake, RegSelTimeout, RegBusTiming, RegWatchdog,
    RegResetWidth
  } reg_sel_e;

  reg_sel_e    sel;
  logic [31:0] word_off;
  assign word_off = {20'b0, reg_addr_i[11:2], 2'b00};

  logic unused_addr_lsbs;
  assign unused_addr_lsbs = ^reg_addr_i[1:0];

  always_comb begin
    sel = RegNone;
    unique case (word_off)
      hba_reg_pkg::HBA_ID:          sel = RegId;
      hba_reg_pkg::HBA_VERSION:     sel = RegVersion;
      hba_reg_pkg::HBA_CTRL:        sel = RegCtrl;
      hba_reg_pkg::HBA_TARGET:      sel = RegTarget;
      hba_reg_pkg::HBA_CMD_CFG:     sel = RegCmdCfg;
      hba_reg_pkg::HBA_XFER_LEN:    sel = RegXferLen;
      hba_reg_pkg::HBA_SG_ADDR_LO:  sel = RegSgLo;
      hba_reg_pkg::HBA_SG_ADDR_HI:  sel = RegSgHi;
      hba_reg_pkg::HBA_CDB0:        sel = RegCdb0;
      hba_reg_pkg::HBA_CDB1:        sel = RegCdb1;
      hba_reg_pkg::HBA_CDB2:        sel = RegCdb2;
      hba_reg_pkg::HBA_CDB3:        sel = RegCdb3;
      hba_reg_pkg::HBA_COMMAND:     sel = RegCommand;
      hba_reg_pkg::HBA_STATUS:      sel = RegStatus;
      hba_reg_pkg::HBA_INT_STATUS:  sel = RegIntStatus;
      hba_reg_pkg::HBA_INT_ENABLE:  sel = RegIntEnable;
      hba_reg_pkg::HBA_SCSI_STATUS: sel = RegScsiStatus;
      hba_reg_pkg::HBA_MSG_IN:      sel = RegMsgIn;
      hba_reg_pkg::HBA_XFERRED:     sel = RegXferred;
      hba_reg_pkg::HBA_RESIDUAL:    sel = RegResidual;
      hba_reg_pkg::HBA_END:         sel = RegEnd;
      hba_reg_pkg::HBA_FIFO_LEVEL:  sel = RegFifoLevel;
      hba_reg_pkg::HBA_DMA_COUNT:   sel = RegDmaCount;
      hba_reg_pkg::HBA_SG_DESCS:    sel = RegSgDescs;
      hba_reg_pkg::HBA_EXTRA:       sel = RegExtra;
      hba_reg_pkg::HBA_HANDSHAKE:   sel = RegHandshake;
      hba_reg_pkg::HBA_SEL_TIMEOUT: sel = RegSelTimeout;
      hba_reg_pkg::HBA_BUS_TIMING:  sel = RegBusTiming;
      hba_reg_pkg::HBA_WATCHDOG:    sel = RegWatchdog;
      hba_reg_pkg::HBA_RESET_WIDTH: sel = RegResetWidth;
      default:                      sel = RegNone;
    endcase
  end

  logic        wr, rd;
  logic [31:0] bmask;
  assign wr    = reg_req_i && reg_we_i && sel != RegNone;
  assign rd    = reg_req_i && !reg_we_i && sel != RegNone;
  assign bmask = {{8{reg_wstrb_i[3]}}, {8{reg_wstrb_i[2]}}, {8{reg_wstrb_i[1]}},
                  {8{reg_wstrb_i[0]}}};

  function automatic logic [31:0] merge(logic [31:0] cur, logic [31:0] wdata, logic [31:0] m,
                                        logic [31:0] bits);
    merge = ((cur & ~m) | (wdata & m)) & bits;
  endfunction

  // COMMAND pulses (a BUS_RESET write makes the rest of that write ignored)
  logic [31:0] cmd_w;
  logic        c_bus_reset, c_flush, c_start, c_abort, c_bdr;
  assign cmd_w       = (wr && sel == RegCommand) ? (reg_wdata_i & bmask) : '0;
  assign c_bus_reset = cmd_w[CmdBusReset];
  assign c_flush     = cmd_w[CmdFlush] && !c_bus_reset;
  assign c_start     = cmd_w[CmdStart] && !c_bus_reset;
  assign c_abort     = cmd_w[CmdAbort] && !c_bus_reset && !c_start;
  assign c_bdr       = cmd_w[CmdBdr] && !c_bus_reset && !c_start && !c_abort;

  // ---------------------------------------------------------------------------------------
  // SCSI bus synchronizer (contracts.md 11.2: the bus is asynchronous to our clock)

  logic [17:0] scsi_s1_q, scsi_s2_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      scsi_s1_q <= '0;
      scsi_s2_q <= '0;
    end else begin
      scsi_s1_q <= scsi_i;
      scsi_s2_q <= scsi_s1_q;
    end
  end

  // ---------------------------------------------------------------------------------------
  // Configuration fields

  logic       cf_enable, cf_mover_bm, cf_parity, cf_disc_priv, cf_sel_no_atn, cf_dreq_low;
  logic       cf_dack_high;
  logic [2:0] cf_init_id, cf_tgt_id, cf_tgt_lun;
  logic [1:0] cf_dir;
  logic [4:0] cf_cdb_len;
  assign cf_enable     = ctrl_q[hba_reg_pkg::HBA_CTRL_ENABLE_LSB];
  assign cf_mover_bm   = ctrl_q[hba_reg_pkg::HBA_CTRL_MOVER_LSB];
  assign cf_parity     = ctrl_q[hba_reg_pkg::HBA_CTRL_PARITY_CHECK_LSB];
  assign cf_disc_priv  = ctrl_q[hba_reg_pkg::HBA_CTRL_DISC_PRIV_LSB];
  assign cf_sel_no_atn = ctrl_q[hba_reg_pkg::HBA_CTRL_SEL_NO_ATN_LSB];
  assign cf_dreq_low   = ctrl_q[hba_reg_pkg::HBA_CTRL_DREQ_LOW_LSB];
  assign cf_dack_high  = ctrl_q[hba_reg_pkg::HBA_CTRL_DACK_HIGH_LSB];
  assign cf_init_id    = ctrl_q[hba_reg_pkg::HBA_CTRL_INIT_ID_LSB +: 3];
  assign cf_tgt_id     = target_q[hba_reg_pkg::HBA_TARGET_ID_LSB +: 3];
  assign cf_tgt_lun    = target_q[hba_reg_pkg::HBA_TARGET_LUN_LSB +: 3];
  assign cf_dir        = cmd_cfg_q[hba_reg_pkg::HBA_CMD_CFG_DIR_LSB +: 2];
  assign cf_cdb_len    = cmd_cfg_q[hba_reg_pkg::HBA_CMD_CFG_CDB_LEN_LSB +: 5];

  logic dir_in, dir_out;
  assign dir_in  = cf_dir == hba_reg_pkg::HBA_CMD_CFG_DIR_IN;
  assign dir_out = cf_dir == hba_reg_pkg::HBA_CMD_CFG_DIR_OUT;

  // ---------------------------------------------------------------------------------------
  // Sequencer, FIFO, movers

  logic [FifoAw:0] fifo_level, fifo_space;
  logic [31:0]     fifo_head;
  logic            fifo_push, fifo_pop, fifo_flush;
  logic [2:0]      fifo_push_n, fifo_pop_n;
  logic [31:0]     fifo_push_data;

  logic            seq_push, seq_pop, seq_flush;
  logic [7:0]      seq_wdata;
  logic            seq_busy, seq_connected, seq_disc, seq_atn, seq_end, seq_rejected;
  logic            seq_bus_reset, seq_status_valid, cmd_start;
  logic [4:0]      seq_state, seq_end_state;
  logic [2:0]      seq_end_reason;
  logic [5:0]      seq_quals;
  logic [7:0]      seq_status_byte, seq_msg_in;
  logic [31:0]     seq_xferred, seq_residual, seq_extra;
  logic            mv_start, mv_active, mv_tail, mv_drain, mv_stop;

  // bus-master engine
  logic            sg_busy, sg_done, sg_list_end, sg_err_axi, sg_err_sg;
  logic [31:0]     sg_moved;
  logic [15:0]     sg_descs;
  logic            sg_pop, sg_push;
  logic [2:0]      sg_pop_n, sg_push_n;
  logic [31:0]     sg_push_data;

  // subordinate mover
  logic            ds_pop, ds_push, ds_tc_seen, ds_held;
  logic [2:0]      ds_pop_n, ds_push_n;
  logic [31:0]     ds_push_data, ds_moved;

  logic mover_busy, mover_end;
  assign mover_busy = sg_busy;
  // The mover can move no more: sysdma reached TC, or the list is exhausted (DATA IN: no room
  // left, the engine waits for the drain; DATA OUT: the last element is in the FIFO once the
  // engine is idle again). docs/hba/sgdma.md.
  assign mover_end  = cf_mover_bm ? (sg_list_end && (dir_in || !sg_busy)) : ds_tc_seen;

  hba_seq #(.FifoAw(FifoAw)) u_seq (
    .clk_i,
    .rst_ni,
    .enable_i        (cf_enable),
    .init_id_i       (cf_init_id),
    .tgt_id_i        (cf_tgt_id),
    .tgt_lun_i       (cf_tgt_lun),
    .disc_priv_i     (cf_disc_priv),
    .sel_no_atn_i    (cf_sel_no_atn),
    .parity_check_i  (cf_parity),
    .mover_bm_i      (cf_mover_bm),
    .dir_i           (cf_dir),
    .xfer_len_i      (xfer_len_q),
    .cdb_i           (cdb_q),
    .cdb_len_i       (cf_cdb_len),
    .data_setup_i    (handshake_q[hba_reg_pkg::HBA_HANDSHAKE_DATA_SETUP_LSB +: 8]),
    .ack_hold_i      (handshake_q[hba_reg_pkg::HBA_HANDSHAKE_ACK_HOLD_LSB +: 8]),
    .sel_timeout_i   (sel_timeout_q),
    .bus_free_i      (bus_timing_q[hba_reg_pkg::HBA_BUS_TIMING_BUS_FREE_LSB +: 8]),
    .arb_delay_i     (bus_timing_q[hba_reg_pkg::HBA_BUS_TIMING_ARB_DELAY_LSB +: 8]),
    .bus_settle_i    (bus_timing_q[hba_reg_pkg::HBA_BUS_TIMING_BUS_SETTLE_LSB +: 8]),
    .watchdog_i      (watchdog_q),
    .reset_width_i   (reset_width_q),
    .start_i         (c_start),
    .abort_i         (c_abort),
    .bdr_i           (c_bdr),
    .bus_reset_i     (c_bus_reset),
    .bus_i           (scsi_s2_q),
    .bus_o           (scsi_o),
    .fifo_level_i    (fifo_level),
    .fifo_space_i    (fifo_space),
    .fifo_head_i     (fifo_head[7:0]),
    .fifo_push_o     (seq_push),
    .fifo_wdata_o    (seq_wdata),
    .fifo_pop_o      (seq_pop),
    .fifo_flush_o    (seq_flush),
    .cmd_start_o     (cmd_start),
    .mover_start_o   (mv_start),
    .mover_active_o  (mv_active),
    .mover_tail_o    (mv_tail),
    .mover_drain_o   (mv_drain),
    .mover_stop_o    (mv_stop),
    .mover_busy_i    (mover_busy),
    .mover_done_i    (sg_done),
    .mover_end_i     (mover_end),
    .mover_err_axi_i (sg_err_axi),
    .mover_err_sg_i  (sg_err_sg),
    .mover_moved_i   (sg_moved),
    .busy_o          (seq_busy),
    .connected_o     (seq_connected),
    .disconnected_o  (seq_disc),
    .atn_o           (seq_atn),
    .state_o         (seq_state),
    .end_o           (seq_end),
    .end_reason_o    (seq_end_reason),
    .end_state_o     (seq_end_state),
    .quals_o         (seq_quals),
    .rejected_o      (seq_rejected),
    .bus_reset_o     (seq_bus_reset),
    .status_byte_o   (seq_status_byte),
    .status_valid_o  (seq_status_valid),
    .msg_in_o        (seq_msg_in),
    .xferred_o       (seq_xferred),
    .residual_o      (seq_residual),
    .extra_o         (seq_extra)
  );

  // FIFO ports: in DATA IN the sequencer pushes and the mover pops, in DATA OUT the reverse.
  always_comb begin
    if (dir_out) begin
      fifo_push      = cf_mover_bm ? sg_push : ds_push;
      fifo_push_n    = cf_mover_bm ? sg_push_n : ds_push_n;
      fifo_push_data = cf_mover_bm ? sg_push_data : ds_push_data;
      fifo_pop       = seq_pop;
      fifo_pop_n     = 3'd1;
    end else begin
      fifo_push      = seq_push;
      fifo_push_n    = 3'd1;
      fifo_push_data = {24'h0, seq_wdata};
      fifo_pop       = dir_in && (cf_mover_bm ? sg_pop : ds_pop);
      fifo_pop_n     = cf_mover_bm ? sg_pop_n : ds_pop_n;
    end
  end
  assign fifo_flush = seq_flush || (c_flush && !seq_busy);

  hba_fifo #(.Aw(FifoAw)) u_fifo (
    .clk_i,
    .rst_ni,
    .flush_i     (fifo_flush),
    .push_i      (fifo_push),
    .push_n_i    (fifo_push_n),
    .push_data_i (fifo_push_data),
    .pop_i       (fifo_pop),
    .pop_n_i     (fifo_pop_n),
    .pop_data_o  (fifo_head),
    .level_o     (fifo_level),
    .space_o     (fifo_space)
  );

  hba_sgdma #(.FifoAw(FifoAw)) u_sgdma (
    .clk_i,
    .rst_ni,
    .start_i      (mv_start && cf_mover_bm),
    .dir_in_i     (dir_in),
    .desc_addr_i  ({sg_hi_q, sg_lo_q}),
    .drain_i      (mv_drain),
    .stop_i       (mv_stop),
    .busy_o       (sg_busy),
    .done_o       (sg_done),
    .list_end_o   (sg_list_end),
    .err_axi_o    (sg_err_axi),
    .err_sg_o     (sg_err_sg),
    .moved_o      (sg_moved),
    .desc_count_o (sg_descs),
    .pop_data_i   (fifo_head),
    .pop_level_i  (dir_in ? fifo_level : '0),
    .pop_o        (sg_pop),
    .pop_n_o      (sg_pop_n),
    .push_data_o  (sg_push_data),
    .push_o       (sg_push),
    .push_n_o     (sg_push_n),
    .push_space_i (dir_out ? fifo_space : '0),
    .axi_awid_o,
    .axi_awaddr_o,
    .axi_awlen_o,
    .axi_awsize_o,
    .axi_awburst_o,
    .axi_awvalid_o,
    .axi_awready_i,
    .axi_wdata_o,
    .axi_wstrb_o,
    .axi_wlast_o,
    .axi_wvalid_o,
    .axi_wready_i,
    .axi_bid_i,
    .axi_bresp_i,
    .axi_bvalid_i,
    .axi_bready_o,
    .axi_arid_o,
    .axi_araddr_o,
    .axi_arlen_o,
    .axi_arsize_o,
    .axi_arburst_o,
    .axi_arvalid_o,
    .axi_arready_i,
    .axi_rid_i,
    .axi_rdata_i,
    .axi_rresp_i,
    .axi_rlast_i,
    .axi_rvalid_i,
    .axi_rready_o
  );

  hba_dmas #(.Wide(DmaChan >= 4), .FifoAw(FifoAw)) u_dmas (
    .clk_i,
    .rst_ni,
    .clear_i     (cmd_start),
    .enable_i    (mv_active),
    .dir_in_i    (dir_in),
    .limit_i     (xfer_len_q),
    .tail_i      (mv_tail),
    .dreq_low_i  (cf_dreq_low),
    .dack_high_i (cf_dack_high),
    .dreq_o      (dma_dreq_o),
    .dack_i      (dma_dack_i),
    .ior_ni      (dma_ior_ni),
    .iow_ni      (dma_iow_ni),
    .tc_i        (dma_tc_i),
    .data_i      (dma_data_i),
    .data_o      (dma_data_o),
    .level_i     (fifo_level),
    .space_i     (fifo_space),
    .pop_data_i  (fifo_head),
    .pop_o       (ds_pop),
    .pop_n_o     (ds_pop_n),
    .push_o      (ds_push),
    .push_n_o    (ds_push_n),
    .push_data_o (ds_push_data),
    .moved_o     (ds_moved),
    .tc_seen_o   (ds_tc_seen),
    .held_o      (ds_held)
  );

  // The data lines stay with the HBA until the strobe of a transfer it took has ended: sysdma
  // samples device data a few cycles into IOR, possibly after the mover has ended (TC).
  assign dma_sel_o = mv_active || ds_held;

  // ---------------------------------------------------------------------------------------
  // Interrupt causes

  logic [31:0] int_set, int_clr, end_bits;
  always_comb begin
    end_bits = '0;
    if (seq_end) begin
      unique case (seq_end_reason)
        EndComplete:   end_bits = 32'(1) << IntCmdDone;
        EndSelTimeout: end_bits = 32'(1) << IntSelTo;
        EndAborted:    end_bits = 32'(1) << IntAborted;
        EndUnexpFree:  end_bits = 32'(1) << IntUnexpFree;
        EndWatchdog:   end_bits = 32'(1) << IntWatchdog;
        EndBusReset:   end_bits = 32'(1) << IntBusReset;
        default:       end_bits = '0;
      endcase
    end
  end
  // quals: {UNDERRUN, OVERRUN, SG_ERR, DMA_ERR, PARITY, SHORT}
  assign int_set = end_bits
                 | (seq_end ? (32'(seq_quals[0]) << IntShort | 32'(seq_quals[1]) << IntParity
                             | 32'(seq_quals[2]) << IntDmaErr | 32'(seq_quals[3]) << IntSgErr
                             | 32'(seq_quals[4]) << IntOverrun
                             | 32'(seq_quals[5]) << IntUnderrun) : '0)
                 | (32'(seq_rejected) << IntRejected) | (32'(seq_bus_reset) << IntBusReset);
  assign int_clr = (wr && sel == RegIntStatus) ? (reg_wdata_i & bmask & IntBits) : '0;

  // ---------------------------------------------------------------------------------------
  // Register writes

  always_comb begin
    ctrl_d        = ctrl_q;
    target_d      = target_q;
    cmd_cfg_d     = cmd_cfg_q;
    xfer_len_d    = xfer_len_q;
    sg_lo_d       = sg_lo_q;
    sg_hi_d       = sg_hi_q;
    cdb_d         = cdb_q;
    int_enable_d  = int_enable_q;
    handshake_d   = handshake_q;
    sel_timeout_d = sel_timeout_q;
    bus_timing_d  = bus_timing_q;
    watchdog_d    = watchdog_q;
    reset_width_d = reset_width_q;
    if (wr) begin
      unique case (sel)
        RegCtrl:       ctrl_d        = merge(ctrl_q, reg_wdata_i, bmask, CtrlBits);
        RegTarget:     target_d      = merge(target_q, reg_wdata_i, bmask, TargetBits);
        RegCmdCfg:     cmd_cfg_d     = merge(cmd_cfg_q, reg_wdata_i, bmask, CmdCfgBits);
        RegXferLen:    xfer_len_d    = merge(xfer_len_q, reg_wdata_i, bmask, '1);
        RegSgLo:       sg_lo_d       = merge(sg_lo_q, reg_wdata_i, bmask, '1);
        RegSgHi:       sg_hi_d       = merge(sg_hi_q, reg_wdata_i, bmask, '1);
        RegCdb0:       cdb_d[31:0] = merge(cdb_q[31:0], reg_wdata_i, bmask, '1);
        RegCdb1:       cdb_d[63:32] = merge(cdb_q[63:32], reg_wdata_i, bmask, '1);
        RegCdb2:       cdb_d[95:64] = merge(cdb_q[95:64], reg_wdata_i, bmask, '1);
        RegCdb3:       cdb_d[127:96] = merge(cdb_q[127:96], reg_wdata_i, bmask, '1);
        RegIntEnable:  int_enable_d  = merge(int_enable_q, reg_wdata_i, bmask, IntBits);
        RegHandshake:  handshake_d   = merge(handshake_q, reg_wdata_i, bmask, HandshakeBits);
        RegSelTimeout: sel_timeout_d = merge(sel_timeout_q, reg_wdata_i, bmask, '1);
        RegBusTiming:  bus_timing_d  = merge(bus_timing_q, reg_wdata_i, bmask, BusTimingBits);
        RegWatchdog:   watchdog_d    = merge(watchdog_q, reg_wdata_i, bmask, '1);
        RegResetWidth: reset_width_d = merge(reset_width_q, reg_wdata_i, bmask, '1);
        default:       ;  // read-only registers; COMMAND and INT_STATUS are handled above
      endcase
    end
  end

  // A cause arriving in the cycle of its clear stays set (it is newer than the clear).
  assign int_status_d = ((int_status_q & ~int_clr) | int_set) & IntBits;
  assign irq_d        = |(int_status_d & int_enable_d);

  // ---------------------------------------------------------------------------------------
  // Read data

  logic [31:0] status_val;
  assign status_val = (32'(seq_state) << hba_reg_pkg::HBA_STATUS_SEQ_STATE_LSB)
                    | (32'(scsi_s2_q[15:13]) << hba_reg_pkg::HBA_STATUS_PHASE_LSB)
                    | (32'(scsi_s2_q[12]) << hba_reg_pkg::HBA_STATUS_RST_SEEN_LSB)
                    | (32'(seq_atn) << hba_reg_pkg::HBA_STATUS_ATN_LSB)
                    | (32'(scsi_s2_q[9]) << hba_reg_pkg::HBA_STATUS_BSY_SEEN_LSB)
                    | (32'(sg_busy || mv_active) << hba_reg_pkg::HBA_STATUS_MOVER_BUSY_LSB)
                    | (32'(seq_disc) << hba_reg_pkg::HBA_STATUS_DISCONNECTED_LSB)
                    | (32'(seq_connected) << hba_reg_pkg::HBA_STATUS_CONNECTED_LSB)
                    | (32'(seq_busy) << hba_reg_pkg::HBA_STATUS_BUSY_LSB);

  always_comb begin
    rdata_d = '0;
    if (rd) begin
      unique case (sel)
        RegId:         rdata_d = IdReset;
        RegVersion:    rdata_d = VersionReset;
        RegCtrl:       rdata_d = ctrl_q;
        RegTarget:     rdata_d = target_q;
        RegCmdCfg:     rdata_d = cmd_cfg_q;
        RegXferLen:    rdata_d = xfer_len_q;
        RegSgLo:       rdata_d = sg_lo_q;
        RegSgHi:       rdata_d = sg_hi_q;
        RegCdb0:       rdata_d = cdb_q[31:0];
        RegCdb1:       rdata_d = cdb_q[63:32];
        RegCdb2:       rdata_d = cdb_q[95:64];
        RegCdb3:       rdata_d = cdb_q[127:96];
        RegStatus:     rdata_d = status_val;
        RegIntStatus:  rdata_d = int_status_q;
        RegIntEnable:  rdata_d = int_enable_q;
        RegScsiStatus: rdata_d = (32'(seq_status_valid) << hba_reg_pkg::HBA_SCSI_STATUS_VALID_LSB)
                               | 32'(seq_status_byte);
        RegMsgIn:      rdata_d = 32'(seq_msg_in);
        RegXferred:    rdata_d = seq_xferred;
        RegResidual:   rdata_d = seq_residual;
        RegEnd:        rdata_d = (32'(seq_end_state) << hba_reg_pkg::HBA_END_STATE_LSB)
                               | (32'(seq_end_reason) << hba_reg_pkg::HBA_END_REASON_LSB);
        RegFifoLevel:  rdata_d = 32'(fifo_level);
        RegDmaCount:   rdata_d = cf_mover_bm ? sg_moved : ds_moved;
        RegSgDescs:    rdata_d = 32'(sg_descs);
        RegExtra:      rdata_d = seq_extra;
        RegHandshake:  rdata_d = handshake_q;
        RegSelTimeout: rdata_d = sel_timeout_q;
        RegBusTiming:  rdata_d = bus_timing_q;
        RegWatchdog:   rdata_d = watchdog_q;
        RegResetWidth: rdata_d = reset_width_q;
        default:       rdata_d = '0;   // COMMAND reads as 0
      endcase
    end
    err_d = reg_req_i && sel == RegNone;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ctrl_q        <= hba_reg_pkg::HBA_CTRL_RESET;
      target_q      <= hba_reg_pkg::HBA_TARGET_RESET;
      cmd_cfg_q     <= hba_reg_pkg::HBA_CMD_CFG_RESET;
      xfer_len_q    <= hba_reg_pkg::HBA_XFER_LEN_RESET;
      sg_lo_q       <= hba_reg_pkg::HBA_SG_ADDR_LO_RESET;
      sg_hi_q       <= hba_reg_pkg::HBA_SG_ADDR_HI_RESET;
      cdb_q         <= {hba_reg_pkg::HBA_CDB3_RESET, hba_reg_pkg::HBA_CDB2_RESET,
                        hba_reg_pkg::HBA_CDB1_RESET, hba_reg_pkg::HBA_CDB0_RESET};
      int_status_q  <= hba_reg_pkg::HBA_INT_STATUS_RESET;
      int_enable_q  <= hba_reg_pkg::HBA_INT_ENABLE_RESET;
      handshake_q   <= hba_reg_pkg::HBA_HANDSHAKE_RESET;
      sel_timeout_q <= hba_reg_pkg::HBA_SEL_TIMEOUT_RESET;
      bus_timing_q  <= hba_reg_pkg::HBA_BUS_TIMING_RESET;
      watchdog_q    <= hba_reg_pkg::HBA_WATCHDOG_RESET;
      reset_width_q <= hba_reg_pkg::HBA_RESET_WIDTH_RESET;
      rdata_q       <= '0;
      err_q         <= 1'b0;
      irq_q         <= 1'b0;
    end else begin
      ctrl_q        <= ctrl_d;
      target_q      <= target_d;
      cmd_cfg_q     <= cmd_cfg_d;
      xfer_len_q    <= xfer_len_d;
      sg_lo_q       <= sg_lo_d;
      sg_hi_q       <= sg_hi_d;
      cdb_q         <= cdb_d;
      int_status_q  <= int_status_d;
      int_enable_q  <= int_enable_d;
      handshake_q   <= handshake_d;
      sel_timeout_q <= sel_timeout_d;
      bus_timing_q  <= bus_timing_d;
      watchdog_q    <= watchdog_d;
      reset_width_q <= reset_width_d;
      rdata_q       <= rdata_d;
      err_q         <= err_d;
      irq_q         <= irq_d;
    end
  end

  assign reg_rdata_o = rdata_q;
  assign reg_err_o   = err_q;
  assign irq_o       = irq_q;

endmodule
