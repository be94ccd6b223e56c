// hba_sgdma: the HBA's bus-master scatter/gather engine. Walks a descriptor list in host
// memory and moves bytes between the HBA data FIFO and the elements with AXI4 INCR bursts.
// Interface: docs/contracts.md section 11.3; behaviour: docs/hba/sgdma.md.
//
// Three parts share the AXI port (ID 1):
//   - the fetcher reads one 16-byte descriptor at a time (one 4-beat burst) into the "next"
//     slot while the mover works on the current element, follows CHAIN descriptors itself and
//     checks every descriptor (a malformed one is kept in the slot, marked bad, and reported
//     only when the mover reaches it, so the elements before it are still moved);
//   - the mover plans one burst per cycle from the current element: at most CapBytes, ending
//     at a CapBytes-aligned address (so never across 4 KiB), and only when the FIFO already
//     holds the whole burst's bytes (DATA IN) or has room for all of them (DATA OUT);
//   - the beat paths: W beats are built from the FIFO head (one beat per cycle, WSTRB for the
//     partial first/last word), R beats are shifted to lane 0 and pushed 1-4 bytes at a time;
//     from the first R error response on, R beats are taken and dropped (no gap is closed).
// Every AXI valid and payload comes from a flop. Reads return in order (one ID), so a small
// queue of tags says which burst each R beat belongs to.
module hba_sgdma #(
  parameter int FifoAw = 6   // FIFO of 2**FifoAw bytes (at least 8)
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              start_i,
  input  logic              dir_in_i,
  input  logic [63:0]       desc_addr_i,
  input  logic              drain_i,
  input  logic              stop_i,
  output logic              busy_o,
  output logic              done_o,
  output logic              list_end_o,
  output logic              err_axi_o,
  output logic              err_sg_o,
  output logic [31:0]       moved_o,
  output logic [15:0]       desc_count_o,

  // DATA IN: FIFO -> engine
  input  logic [31:0]       pop_data_i,
  input  logic [FifoAw:0]   pop_level_i,
  output logic              pop_o,
  output logic [2:0]        pop_n_o,
  // DATA OUT: engine -> FIFO
  output logic [31:0]       push_data_o,
  output logic              push_o,
  output logic [2:0]        push_n_o,
  input  logic [FifoAw:0]   push_space_i,

  // AXI4 master (ID 1, ADDR 32, DATA 32)
  output logic [3:0]        axi_awid_o,
  output logic [31:0]       axi_awaddr_o,
  output logic [7:0]        axi_awlen_o,
  output logic [2:0]        axi_awsize_o,
  output logic [1:0]        axi_awburst_o,
  output logic              axi_awvalid_o,
  input  logic              axi_awready_i,
  output logic [31:0]       axi_wdata_o,
  output logic [3:0]        axi_wstrb_o,
  output logic              axi_wlast_o,
  output logic              axi_wvalid_o,
  input  logic              axi_wready_i,
  input  logic [3:0]        axi_bid_i,
  input  logic [1:0]        axi_bresp_i,
  input  logic              axi_bvalid_i,
  output logic              axi_bready_o,
  output logic [3:0]        axi_arid_o,
  output logic [31:0]       axi_araddr_o,
  output logic [7:0]        axi_arlen_o,
  output logic [2:0]        axi_arsize_o,
  output logic [1:0]        axi_arburst_o,
  output logic              axi_arvalid_o,
  input  logic              axi_arready_i,
  input  logic [3:0]        axi_rid_i,
  input  logic [31:0]       axi_rdata_i,
  input  logic [1:0]        axi_rresp_i,
  input  logic              axi_rlast_i,
  input  logic              axi_rvalid_i,
  output logic              axi_rready_o
);

  // Burst cap: half the FIFO (so the SCSI side keeps filling or draining one half while the
  // other moves), at most 64 bytes = 16 beats. A power of two dividing 4096, so a burst that
  // ends at a CapBytes boundary never crosses 4 KiB.
  localparam int FifoBytes = 1 << FifoAw;
  localparam int CapBytes  = (FifoBytes >= 128) ? 64 : FifoBytes / 2;
  localparam int CapLog    = $clog2(CapBytes);
  localparam int MaxOut    = 4;          // bursts outstanding per direction (read tags, B)
  localparam int MaxList   = 4096;       // elements per list without EOL
  localparam int MaxChain  = 64;         // CHAIN descriptors followed per walk
  localparam logic [3:0] AxiId = 4'd1;

  // ------------------------------------------------------------------------------------------
  // control

  logic        busy_q, busy_d, dir_in_q, dir_in_d;
  logic        drain_q, drain_d, stop_q, stop_d;
  logic        eaxi_q, eaxi_d, esg_q, esg_d;           // sticky: error seen, ending
  logic        list_end_q, list_end_d;
  logic        done_q, done_d, eaxi_p_q, eaxi_p_d, esg_p_q, esg_p_d;
  logic [31:0] moved_q, moved_d;
  logic [15:0] dcount_q, dcount_d;
  logic        start, kill, halt, fin, want_end, quiet;

  assign start = start_i && !busy_q;
  assign kill  = busy_q && (stop_q || stop_i);        // no pushes, pops or new bursts
  assign halt  = kill || eaxi_q || esg_q;

  // ------------------------------------------------------------------------------------------
  // descriptor fetcher and the "next" slot

  typedef enum logic [1:0] {FNeed, FWait, FDone} fetch_e;
  fetch_e      f_state_q, f_state_d;
  logic [31:0] f_addr_q, f_addr_d;
  logic [12:0] f_idx_q, f_idx_d;      // descriptors read from the current list
  logic [6:0]  f_chain_q, f_chain_d;  // CHAIN descriptors followed
  logic        f_wrap_q, f_wrap_d;    // the next descriptor would lie at or above 4 GiB
  logic [1:0]  d_beat_q, d_beat_d;
  logic [31:0] d_w0_q, d_w0_d, d_w1_q, d_w1_d, d_w2_q, d_w2_d;
  logic        d_err_q, d_err_d;

  logic        nx_valid_q, nx_valid_d, nx_bad_q, nx_bad_d, nx_eol_q, nx_eol_d;
  logic [31:0] nx_addr_q, nx_addr_d;
  logic [24:0] nx_len_q, nx_len_d;

  // current element
  logic        cur_valid_q, cur_valid_d, cur_eol_q, cur_eol_d;
  logic [31:0] cur_addr_q, cur_addr_d;
  logic [24:0] cur_rem_q, cur_rem_d;

  // ------------------------------------------------------------------------------------------
  // AXI address stages, read tags, write bursts

  logic        arvalid_q, arvalid_d, awvalid_q, awvalid_d;
  logic [31:0] araddr_q, araddr_d, awaddr_q, awaddr_d;
  logic [7:0]  arlen_q, arlen_d, awlen_q, awlen_d;

  // read tags, one per AR in flight: descriptor or data, first-byte lane, bytes
  // (flat vectors: Yosys 0.23 and Icarus 11 handle these in always_comb)
  logic [MaxOut-1:0]   rt_desc_q, rt_desc_d;
  logic [2*MaxOut-1:0] rt_off_q, rt_off_d;
  logic [8*MaxOut-1:0] rt_bytes_q, rt_bytes_d;
  logic [1:0]  rt_head_q, rt_head_d;
  logic [2:0]  rt_cnt_q, rt_cnt_d;
  logic [7:0]  r_used_q, r_used_d;      // bytes of the head data burst already delivered
  logic        push_q, push_d;
  logic [31:0] push_data_q, push_data_d;
  logic [2:0]  push_n_q, push_n_d;
  logic [15:0] r_resv_q, r_resv_d;      // FIFO bytes promised to issued reads, not yet pushed

  // write bursts planned (AW loaded), waiting for the beat generator
  logic [3:0]  wq_off_q, wq_off_d;
  logic [15:0] wq_bytes_q, wq_bytes_d;
  logic        wq_head_q, wq_head_d;
  logic [1:0]  wq_cnt_q, wq_cnt_d;
  logic        g_act_q, g_act_d, g_first_q, g_first_d;
  logic [1:0]  g_off_q, g_off_d;
  logic [7:0]  g_rem_q, g_rem_d;
  logic        wvalid_q, wvalid_d, wlast_q, wlast_d;
  logic [31:0] wdata_q, wdata_d;
  logic [3:0]  wstrb_q, wstrb_d;
  logic [2:0]  wn_q, wn_d;              // bytes the W beat on the bus carries
  logic [15:0] w_comm_q, w_comm_d;      // FIFO bytes promised to planned writes, not yet popped
  logic [2:0]  b_out_q, b_out_d;        // write bursts planned, B not yet received
  // DATA IN delivery: moved_o counts the bytes of write bursts answered OKAY, up to the first
  // error response (an error response covers its whole burst, so the bytes in memory that
  // moved_o vouches for are the list's first moved_o bytes)
  logic [7:0]  w_acc_q, w_acc_d;        // bytes in the accepted W beats of the current burst
  logic [8*MaxOut-1:0] bq_bytes_q, bq_bytes_d;  // bytes of bursts whose WLAST went, B owed
  logic [1:0]  bq_head_q, bq_head_d;
  logic [2:0]  bq_cnt_q, bq_cnt_d;
  logic        b_err_q, b_err_d;        // an error response came: count no further burst

  // ------------------------------------------------------------------------------------------
  // burst planning (combinational)

  logic [7:0]  room, full, bytes;
  logic [15:0] avail, space;
  logic [8:0]  beats;
  logic        ar_free, aw_free, f_ar, plan_out, plan_in, plan, cur_last;
  logic [12:0] idx_limit;

  assign idx_limit = 13'(MaxList);
  assign room      = 8'(CapBytes) - 8'(cur_addr_q[CapLog-1:0]);
  assign full      = (cur_rem_q < 25'(room)) ? cur_rem_q[7:0] : room;
  assign avail     = 16'(pop_level_i) - w_comm_q;
  assign space     = 16'(push_space_i) - r_resv_q;
  assign bytes     = (drain_q && avail < 16'(full)) ? avail[7:0] : full;
  assign beats     = (9'(cur_addr_q[1:0]) + 9'(bytes) + 9'd3) >> 2;
  assign ar_free   = !arvalid_q || axi_arready_i;
  assign aw_free   = !awvalid_q || axi_awready_i;
  assign cur_last  = (25'(bytes) == cur_rem_q);

  // the fetcher's AR goes first: it is short and keeps the next element ready
  assign f_ar     = busy_q && !want_end && f_state_q == FNeed && !nx_valid_q &&
                    f_idx_q != idx_limit && !f_wrap_q && ar_free && rt_cnt_q != 3'(MaxOut);
  assign plan_out = busy_q && !dir_in_q && !want_end && cur_valid_q && !f_ar && ar_free &&
                    rt_cnt_q != 3'(MaxOut) && space >= 16'(full);
  assign plan_in  = busy_q && dir_in_q && !want_end && cur_valid_q && aw_free &&
                    wq_cnt_q != 2'd2 && b_out_q != 3'(MaxOut) &&
                    (avail >= 16'(full) || (drain_q && avail != 16'd0));
  assign plan     = plan_out || plan_in;

  // DATA OUT ends when the last element is fully read; DATA IN when drained and either
  // nothing is left to write or there is no element left to write it to
  assign fin      = dir_in_q ? (drain_q && (list_end_q || avail == 16'd0)) : list_end_q;
  assign want_end = halt || fin;
  assign quiet    = !arvalid_q && rt_cnt_q == 3'd0 && !push_q && !awvalid_q &&
                    wq_cnt_q == 2'd0 && !g_act_q && !wvalid_q && b_out_q == 3'd0;

  // ------------------------------------------------------------------------------------------
  // R beat decode

  logic        rh_desc;
  logic [1:0]  rh_off;
  logic [7:0]  rh_bytes;
  logic        r_hs;
  logic [1:0]  r_lo;
  logic [7:0]  r_left;
  logic [2:0]  r_n, r_cap;
  logic        r_bad;

  assign rh_desc  = rt_desc_q[rt_head_q];
  assign rh_off   = rt_off_q[2*rt_head_q +: 2];
  assign rh_bytes = rt_bytes_q[8*rt_head_q +: 8];
  assign r_hs    = axi_rvalid_i && rt_cnt_q != 3'd0;
  assign r_lo    = (r_used_q == 8'd0) ? rh_off : 2'd0;
  assign r_left  = rh_bytes - r_used_q;
  assign r_cap   = 3'd4 - {1'b0, r_lo};
  assign r_n     = (r_left < {5'd0, r_cap}) ? r_left[2:0] : r_cap;
  assign r_bad   = axi_rresp_i[1];     // SLVERR or DECERR

  // ------------------------------------------------------------------------------------------
  // W beat generator

  logic        wb_ld, g_last, g_free, bypass;
  logic [1:0]  g_lo;
  logic [2:0]  g_n, g_cap;
  logic [3:0]  g_mask;
  logic [31:0] g_data;

  assign wb_ld  = g_act_q && (!wvalid_q || axi_wready_i);
  assign g_lo   = g_first_q ? g_off_q : 2'd0;
  assign g_cap  = 3'd4 - {1'b0, g_lo};
  assign g_n    = (g_rem_q < {5'd0, g_cap}) ? g_rem_q[2:0] : g_cap;
  assign g_last = (8'(g_n) == g_rem_q);
  assign g_free = !g_act_q || (wb_ld && g_last);
  assign bypass = plan_in && wq_cnt_q == 2'd0 && g_free;

  always_comb begin
    unique case (g_n)
      3'd1:    g_mask = 4'b0001;
      3'd2:    g_mask = 4'b0011;
      3'd3:    g_mask = 4'b0111;
      default: g_mask = 4'b1111;
    endcase
    g_mask = g_mask << g_lo;
    g_data = pop_data_i << (8 * g_lo);
    for (int i = 0; i < 4; i++) begin
      if (!g_mask[i]) g_data[8*i +: 8] = 8'h00;
    end
  end

  assign pop_o   = wb_ld && !kill;
  assign pop_n_o = g_n;

  // W handshakes and B responses (delivery count). A B comes after its burst's WLAST
  // (AXI4); one in the cycle of that WLAST with nothing recorded takes the burst's bytes
  // directly.
  logic        w_hs, w_lastb, b_hs;
  logic [7:0]  w_sum, b_bytes;
  assign w_hs    = wvalid_q && axi_wready_i;
  assign w_lastb = wlast_q;
  assign w_sum   = w_acc_q + 8'(wn_q);
  assign b_hs    = axi_bvalid_i && b_out_q != 3'd0;
  assign b_bytes = (bq_cnt_q != 3'd0) ? bq_bytes_q[8*bq_head_q +: 8] :
                   ((w_hs && w_lastb) ? w_sum : 8'd0);

  // ------------------------------------------------------------------------------------------
  // descriptor checks on its last beat (flags arrive with RLAST)

  logic [63:0] dsc_addr;
  logic [31:0] dsc_len, dsc_flags;
  logic        dsc_chain, dsc_eol, dsc_len_bad, dsc_addr_bad, chain_bad;
  logic [32:0] dsc_end;

  assign dsc_addr     = {d_w1_q, d_w0_q};
  assign dsc_len      = d_w2_q;
  assign dsc_flags    = axi_rdata_i;
  assign dsc_chain    = dsc_flags[1];
  assign dsc_eol      = dsc_flags[0];
  assign dsc_end      = {1'b0, dsc_addr[31:0]} + {1'b0, dsc_len};
  assign dsc_len_bad  = dsc_len == 32'd0 || dsc_len > 32'h0100_0000;
  // the AXI address is 32 bits: an element at or reaching past 4 GiB cannot be addressed
  assign dsc_addr_bad = dsc_addr[63:32] != 32'd0 || dsc_end > 33'h1_0000_0000;
  assign chain_bad    = f_chain_q == 7'(MaxChain) || dsc_addr[3:0] != 4'd0 ||
                        dsc_addr[63:32] != 32'd0;

  logic unused_flags;
  assign unused_flags = ^dsc_flags[31:2];

  // ------------------------------------------------------------------------------------------
  // next state

  always_comb begin
    busy_d      = busy_q;
    dir_in_d    = dir_in_q;
    drain_d     = drain_q;
    stop_d      = stop_q;
    eaxi_d      = eaxi_q;
    esg_d       = esg_q;
    list_end_d  = list_end_q;
    done_d      = 1'b0;
    eaxi_p_d    = 1'b0;
    esg_p_d     = 1'b0;
    moved_d     = moved_q;
    dcount_d    = dcount_q;

    f_state_d   = f_state_q;
    f_addr_d    = f_addr_q;
    f_idx_d     = f_idx_q;
    f_chain_d   = f_chain_q;
    f_wrap_d    = f_wrap_q;
    d_beat_d    = d_beat_q;
    d_w0_d      = d_w0_q;
    d_w1_d      = d_w1_q;
    d_w2_d      = d_w2_q;
    d_err_d     = d_err_q;
    nx_valid_d  = nx_valid_q;
    nx_bad_d    = nx_bad_q;
    nx_eol_d    = nx_eol_q;
    nx_addr_d   = nx_addr_q;
    nx_len_d    = nx_len_q;
    cur_valid_d = cur_valid_q;
    cur_eol_d   = cur_eol_q;
    cur_addr_d  = cur_addr_q;
    cur_rem_d   = cur_rem_q;

    arvalid_d   = arvalid_q && !axi_arready_i;
    araddr_d    = araddr_q;
    arlen_d     = arlen_q;
    awvalid_d   = awvalid_q && !axi_awready_i;
    awaddr_d    = awaddr_q;
    awlen_d     = awlen_q;

    rt_desc_d   = rt_desc_q;
    rt_off_d    = rt_off_q;
    rt_bytes_d  = rt_bytes_q;
    rt_head_d   = rt_head_q;
    rt_cnt_d    = rt_cnt_q;
    r_used_d    = r_used_q;
    push_d      = 1'b0;
    push_data_d = push_data_q;
    push_n_d    = push_n_q;
    r_resv_d    = r_resv_q;

    wq_off_d    = wq_off_q;
    wq_bytes_d  = wq_bytes_q;
    wq_head_d   = wq_head_q;
    wq_cnt_d    = wq_cnt_q;
    g_act_d     = g_act_q;
    g_first_d   = g_first_q;
    g_off_d     = g_off_q;
    g_rem_d     = g_rem_q;
    wvalid_d    = wvalid_q && !axi_wready_i;
    wlast_d     = wlast_q;
    wdata_d     = wdata_q;
    wstrb_d     = wstrb_q;
    wn_d        = wn_q;
    w_comm_d    = w_comm_q;
    b_out_d     = b_out_q;
    w_acc_d     = w_acc_q;
    bq_bytes_d  = bq_bytes_q;
    bq_head_d   = bq_head_q;
    bq_cnt_d    = bq_cnt_q;
    b_err_d     = b_err_q;

    if (busy_q && stop_i) stop_d = 1'b1;
    if (busy_q && drain_i && dir_in_q) drain_d = 1'b1;

    // ---- AR: a descriptor, or a data burst (DATA OUT)
    if (f_ar) begin
      arvalid_d = 1'b1;
      araddr_d  = f_addr_q;
      arlen_d   = 8'd3;
      f_state_d = FWait;
      d_beat_d  = 2'd0;
      d_err_d   = 1'b0;
    end else if (plan_out) begin
      arvalid_d = 1'b1;
      araddr_d  = {cur_addr_q[31:2], 2'b00};
      arlen_d   = 8'(beats - 9'd1);
      r_resv_d  = r_resv_d + 16'(bytes);
    end
    if (f_ar || plan_out) begin
      for (int i = 0; i < MaxOut; i++) begin
        if (2'(i) == 2'(rt_head_q + rt_cnt_q[1:0])) begin
          rt_desc_d[i]         = f_ar;
          rt_off_d[2*i +: 2]   = cur_addr_q[1:0];
          rt_bytes_d[8*i +: 8] = bytes;
        end
      end
    end

    // ---- runaway list: the 4097th descriptor of one list is never read; nor is one past
    //      the top of the 32-bit address space
    if (busy_q && f_state_q == FNeed && !nx_valid_q && (f_idx_q == idx_limit || f_wrap_q))
    begin
      nx_valid_d = 1'b1;
      nx_bad_d   = 1'b1;
      f_state_d  = FDone;
    end

    // ---- R beats
    if (push_q && !kill) begin
      r_resv_d = r_resv_d - 16'(push_n_q);
      moved_d  = moved_d + 32'(push_n_q);
    end
    if (r_hs) begin
      if (r_bad) eaxi_d = 1'b1;
      if (rh_desc) begin
        d_beat_d = d_beat_q + 2'd1;
        if (r_bad) d_err_d = 1'b1;
        unique case (d_beat_q)
          2'd0:    d_w0_d = axi_rdata_i;
          2'd1:    d_w1_d = axi_rdata_i;
          2'd2:    d_w2_d = axi_rdata_i;
          default: ;
        endcase
        if (axi_rlast_i) begin
          if (d_err_q || r_bad) begin
            f_state_d = FDone;
          end else begin
            if (dcount_q != 16'hFFFF) dcount_d = dcount_q + 16'd1;
            if (dsc_chain) begin
              f_idx_d   = 13'd0;
              f_wrap_d  = 1'b0;
              f_chain_d = f_chain_q + 7'd1;
              f_addr_d  = dsc_addr[31:0];
              f_state_d = FNeed;
              if (chain_bad) begin
                nx_valid_d = 1'b1;
                nx_bad_d   = 1'b1;
                f_state_d  = FDone;
              end
            end else begin
              f_idx_d    = f_idx_q + 13'd1;
              f_addr_d   = f_addr_q + 32'd16;
              f_wrap_d   = f_addr_q[31:4] == 28'hFFF_FFFF;
              nx_valid_d = 1'b1;
              nx_bad_d   = dsc_len_bad || dsc_addr_bad;
              nx_eol_d   = dsc_eol;
              nx_addr_d  = dsc_addr[31:0];
              nx_len_d   = dsc_len[24:0];
              if (dsc_eol || dsc_len_bad || dsc_addr_bad) f_state_d = FDone;
              else f_state_d = FNeed;
            end
          end
        end
      end else begin
        // from the first error response on nothing is pushed (neither the rest of the errored
        // burst nor the bursts in flight behind it): the FIFO holds exactly the list's bytes
        // before the errored beat, never bytes shifted over the gap
        if (!kill && !eaxi_q && !r_bad) begin
          push_d      = 1'b1;
          push_data_d = axi_rdata_i >> (8 * r_lo);
          push_n_d    = r_n;
        end
        r_used_d = r_used_q + 8'(r_n);
      end
      if (axi_rlast_i) begin
        r_used_d  = 8'd0;
        rt_head_d = rt_head_q + 2'd1;
      end
    end
    rt_cnt_d = rt_cnt_q + 3'(f_ar || plan_out) - 3'(r_hs && axi_rlast_i);

    // ---- AW (DATA IN)
    if (plan_in) begin
      awvalid_d = 1'b1;
      awaddr_d  = {cur_addr_q[31:2], 2'b00};
      awlen_d   = 8'(beats - 9'd1);
      w_comm_d  = w_comm_d + 16'(bytes);
    end

    // ---- W beats
    if (wb_ld) begin
      wvalid_d = 1'b1;
      wlast_d  = g_last;
      wdata_d  = kill ? 32'd0 : g_data;
      wstrb_d  = kill ? 4'd0 : g_mask;
      wn_d     = kill ? 3'd0 : g_n;
      if (!kill) w_comm_d = w_comm_d - 16'(g_n);
      g_rem_d   = g_rem_q - 8'(g_n);
      g_first_d = 1'b0;
      if (g_last) g_act_d = 1'b0;
    end
    if (g_free) begin
      if (wq_cnt_q != 2'd0) begin
        g_act_d   = 1'b1;
        g_first_d = 1'b1;
        g_off_d   = wq_off_q[2*wq_head_q +: 2];
        g_rem_d   = wq_bytes_q[8*wq_head_q +: 8];
        wq_head_d = !wq_head_q;
      end else if (bypass) begin
        g_act_d   = 1'b1;
        g_first_d = 1'b1;
        g_off_d   = cur_addr_q[1:0];
        g_rem_d   = bytes;
      end
    end
    if (plan_in && !bypass) begin
      for (int i = 0; i < 2; i++) begin
        if (1'(i) == (wq_head_q ^ wq_cnt_q[0])) begin
          wq_off_d[2*i +: 2]   = cur_addr_q[1:0];
          wq_bytes_d[8*i +: 8] = bytes;
        end
      end
    end
    wq_cnt_d = wq_cnt_q + 2'(plan_in && !bypass) - 2'(g_free && wq_cnt_q != 2'd0);

    // ---- B
    b_out_d = b_out_q + 3'(plan_in) - 3'(b_hs);
    if (b_hs && axi_bresp_i[1]) eaxi_d = 1'b1;

    // ---- delivery: a burst's bytes are recorded at its WLAST and counted at its B (OKAY)
    if (w_hs) w_acc_d = w_lastb ? 8'd0 : w_sum;
    if (w_hs && w_lastb && !(b_hs && bq_cnt_q == 3'd0)) begin
      for (int i = 0; i < MaxOut; i++) begin
        if (2'(i) == 2'(bq_head_q + bq_cnt_q[1:0])) bq_bytes_d[8*i +: 8] = w_sum;
      end
    end
    if (b_hs && bq_cnt_q != 3'd0) bq_head_d = bq_head_q + 2'd1;
    bq_cnt_d = bq_cnt_q + 3'(w_hs && w_lastb) - 3'(b_hs);
    if (b_hs) begin
      if (axi_bresp_i[1]) b_err_d = 1'b1;
      else if (!b_err_q) moved_d = moved_d + 32'(b_bytes);
    end

    // ---- mover: advance the current element, take the next one
    if (plan) begin
      cur_addr_d = cur_addr_q + 32'(bytes);
      cur_rem_d  = cur_rem_q - 25'(bytes);
      if (cur_last) begin
        cur_valid_d = 1'b0;
        if (cur_eol_q) list_end_d = 1'b1;
      end
    end
    if (busy_q && !want_end && nx_valid_q && (!cur_valid_q || (plan && cur_last && !cur_eol_q)))
    begin
      nx_valid_d = 1'b0;
      if (nx_bad_q) begin
        esg_d = 1'b1;
      end else begin
        cur_valid_d = 1'b1;
        cur_eol_d   = nx_eol_q;
        cur_addr_d  = nx_addr_q;
        cur_rem_d   = nx_len_q;
      end
    end

    // ---- end of the walk: every transaction complete
    if (busy_q && want_end && quiet) begin
      busy_d = 1'b0;
      if (eaxi_q) eaxi_p_d = 1'b1;
      else if (esg_q) esg_p_d = 1'b1;
      else if (!stop_q && !stop_i) done_d = 1'b1;
    end

    // ---- start (ignored while busy)
    if (start) begin
      busy_d      = 1'b1;
      dir_in_d    = dir_in_i;
      drain_d     = 1'b0;
      stop_d      = 1'b0;
      eaxi_d      = 1'b0;
      esg_d       = 1'b0;
      list_end_d  = 1'b0;
      moved_d     = 32'd0;
      dcount_d    = 16'd0;
      f_addr_d    = desc_addr_i[31:0];
      f_idx_d     = 13'd0;
      f_chain_d   = 7'd0;
      f_wrap_d    = 1'b0;
      cur_valid_d = 1'b0;
      r_resv_d    = 16'd0;
      w_comm_d    = 16'd0;
      b_err_d     = 1'b0;
      nx_valid_d  = 1'b0;
      nx_bad_d    = 1'b0;
      f_state_d   = FNeed;
      if (desc_addr_i[3:0] != 4'd0 || desc_addr_i[63:32] != 32'd0) begin
        nx_valid_d = 1'b1;
        nx_bad_d   = 1'b1;
        f_state_d  = FDone;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q      <= 1'b0;
      dir_in_q    <= 1'b0;
      drain_q     <= 1'b0;
      stop_q      <= 1'b0;
      eaxi_q      <= 1'b0;
      esg_q       <= 1'b0;
      list_end_q  <= 1'b0;
      done_q      <= 1'b0;
      eaxi_p_q    <= 1'b0;
      esg_p_q     <= 1'b0;
      moved_q     <= '0;
      dcount_q    <= '0;
      f_state_q   <= FDone;
      f_addr_q    <= '0;
      f_idx_q     <= '0;
      f_chain_q   <= '0;
      f_wrap_q    <= 1'b0;
      d_beat_q    <= '0;
      d_w0_q      <= '0;
      d_w1_q      <= '0;
      d_w2_q      <= '0;
      d_err_q     <= 1'b0;
      nx_valid_q  <= 1'b0;
      nx_bad_q    <= 1'b0;
      nx_eol_q    <= 1'b0;
      nx_addr_q   <= '0;
      nx_len_q    <= '0;
      cur_valid_q <= 1'b0;
      cur_eol_q   <= 1'b0;
      cur_addr_q  <= '0;
      cur_rem_q   <= '0;
      arvalid_q   <= 1'b0;
      araddr_q    <= '0;
      arlen_q     <= '0;
      awvalid_q   <= 1'b0;
      awaddr_q    <= '0;
      awlen_q     <= '0;
      rt_desc_q   <= '0;
      rt_off_q    <= '0;
      rt_bytes_q  <= '0;
      rt_head_q   <= '0;
      rt_cnt_q    <= '0;
      r_used_q    <= '0;
      push_q      <= 1'b0;
      push_data_q <= '0;
      push_n_q    <= '0;
      r_resv_q    <= '0;
      wq_off_q    <= '0;
      wq_bytes_q  <= '0;
      wq_head_q   <= 1'b0;
      wq_cnt_q    <= '0;
      g_act_q     <= 1'b0;
      g_first_q   <= 1'b0;
      g_off_q     <= '0;
      g_rem_q     <= '0;
      wvalid_q    <= 1'b0;
      wlast_q     <= 1'b0;
      wdata_q     <= '0;
      wstrb_q     <= '0;
      wn_q        <= '0;
      w_comm_q    <= '0;
      b_out_q     <= '0;
      w_acc_q     <= '0;
      bq_bytes_q  <= '0;
      bq_head_q   <= '0;
      bq_cnt_q    <= '0;
      b_err_q     <= 1'b0;
    end else begin
      busy_q      <= busy_d;
      dir_in_q    <= dir_in_d;
      drain_q     <= drain_d;
      stop_q      <= stop_d;
      eaxi_q      <= eaxi_d;
      esg_q       <= esg_d;
      list_end_q  <= list_end_d;
      done_q      <= done_d;
      eaxi_p_q    <= eaxi_p_d;
      esg_p_q     <= esg_p_d;
      moved_q     <= moved_d;
      dcount_q    <= dcount_d;
      f_state_q   <= f_state_d;
      f_addr_q    <= f_addr_d;
      f_idx_q     <= f_idx_d;
      f_chain_q   <= f_chain_d;
      f_wrap_q    <= f_wrap_d;
      d_beat_q    <= d_beat_d;
      d_w0_q      <= d_w0_d;
      d_w1_q      <= d_w1_d;
      d_w2_q      <= d_w2_d;
      d_err_q     <= d_err_d;
      nx_valid_q  <= nx_valid_d;
      nx_bad_q    <= nx_bad_d;
      nx_eol_q    <= nx_eol_d;
      nx_addr_q   <= nx_addr_d;
      nx_len_q    <= nx_len_d;
      cur_valid_q <= cur_valid_d;
      cur_eol_q   <= cur_eol_d;
      cur_addr_q  <= cur_addr_d;
      cur_rem_q   <= cur_rem_d;
      arvalid_q   <= arvalid_d;
      araddr_q    <= araddr_d;
      arlen_q     <= arlen_d;
      awvalid_q   <= awvalid_d;
      awaddr_q    <= awaddr_d;
      awlen_q     <= awlen_d;
      rt_desc_q   <= rt_desc_d;
      rt_off_q    <= rt_off_d;
      rt_bytes_q  <= rt_bytes_d;
      rt_head_q   <= rt_head_d;
      rt_cnt_q    <= rt_cnt_d;
      r_used_q    <= r_used_d;
      push_q      <= push_d;
      push_data_q <= push_data_d;
      push_n_q    <= push_n_d;
      r_resv_q    <= r_resv_d;
      wq_off_q    <= wq_off_d;
      wq_bytes_q  <= wq_bytes_d;
      wq_head_q   <= wq_head_d;
      wq_cnt_q    <= wq_cnt_d;
      g_act_q     <= g_act_d;
      g_first_q   <= g_first_d;
      g_off_q     <= g_off_d;
      g_rem_q     <= g_rem_d;
      wvalid_q    <= wvalid_d;
      wlast_q     <= wlast_d;
      wdata_q     <= wdata_d;
      wstrb_q     <= wstrb_d;
      wn_q        <= wn_d;
      w_comm_q    <= w_comm_d;
      b_out_q     <= b_out_d;
      w_acc_q     <= w_acc_d;
      bq_bytes_q  <= bq_bytes_d;
      bq_head_q   <= bq_head_d;
      bq_cnt_q    <= bq_cnt_d;
      b_err_q     <= b_err_d;
    end
  end

  // ------------------------------------------------------------------------------------------
  // outputs

  assign busy_o       = busy_q;
  assign done_o       = done_q;
  assign list_end_o   = list_end_q;
  assign err_axi_o    = eaxi_p_q;
  assign err_sg_o     = esg_p_q;
  assign moved_o      = moved_q;
  assign desc_count_o = dcount_q;

  assign push_o       = push_q && !kill;
  assign push_data_o  = push_data_q;
  assign push_n_o     = push_n_q;

  assign axi_awid_o    = AxiId;
  assign axi_awaddr_o  = awaddr_q;
  assign axi_awlen_o   = awlen_q;
  assign axi_awsize_o  = 3'd2;
  assign axi_awburst_o = 2'b01;     // INCR
  assign axi_awvalid_o = awvalid_q;
  assign axi_wdata_o   = wdata_q;
  assign axi_wstrb_o   = wstrb_q;
  assign axi_wlast_o   = wlast_q;
  assign axi_wvalid_o  = wvalid_q;
  assign axi_bready_o  = 1'b1;      // B is always taken: a write is counted when planned, its
                                    // bytes in moved_o when its OKAY response comes
  assign axi_arid_o    = AxiId;
  assign axi_araddr_o  = araddr_q;
  assign axi_arlen_o   = arlen_q;
  assign axi_arsize_o  = 3'd2;
  assign axi_arburst_o = 2'b01;     // INCR
  assign axi_arvalid_o = arvalid_q;
  assign axi_rready_o  = 1'b1;      // R is always taken: FIFO room is reserved at AR time

  // responses carry our ID (the arbiter routes by it); EXOKAY cannot occur without
  // exclusive accesses, so only RESP[1] (SLVERR/DECERR) matters
  logic unused_ids;
  assign unused_ids = ^{axi_bid_i, axi_rid_i, axi_bresp_i[0], axi_rresp_i[0]};

endmodule
