// hba_dmas: the HBA's subordinate data mover. It serves one sysdma channel as an ISA-style
// fly-by device: DREQ asks for a transfer, the 8237 answers with DACK and a strobe, and the
// data passes between the FIFO and sysdma's device data lines without an address.
//
// Direction (the 8237 names the transfer from memory's point of view):
//   DATA IN  (target -> memory): 8237 WRITE transfer, IOR strobe: the HBA drives data_o.
//   DATA OUT (memory -> target): 8237 READ transfer, IOW strobe: the HBA takes data_i.
// A unit is 1 byte (channels 0-3) or 2 bytes (channels 5-7, Wide).
//
// DREQ is asserted only while a whole unit of data (DATA IN) or of space (DATA OUT) is really
// there, not counting the unit of a transfer the 8237 has already committed to (DACK active,
// strobe not yet seen): the 8237 in demand mode samples DREQ in S4 to decide on one more
// transfer, and must not be sent into an empty or full FIFO. DATA IN's last unit may be
// partial once tail_i says no more bytes will come (the missing byte reads as 0x00). DATA OUT
// never requests more than limit_i bytes in all; a 16-bit transfer that would pass the limit
// keeps only the bytes below it. TC under DACK ends the mover (tc_seen_o) until clear_i.
// The 8237 must run the channel in demand or single mode: block mode ignores DREQ.
module hba_dmas #(
  parameter bit Wide = 1'b1,            // 16-bit channel (5-7)
  parameter int FifoAw = 6
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              clear_i,     // pulse at command start: count and TC flag to 0
  input  logic              enable_i,    // the current command uses this mover
  input  logic              dir_in_i,
  input  logic [31:0]       limit_i,     // bytes the command moves (DATA OUT request limit)
  input  logic              tail_i,      // DATA IN: no more bytes will enter the FIFO
  input  logic              dreq_low_i,  // DREQ pin active low
  input  logic              dack_high_i, // DACK pin active high

  // sysdma device side (pin levels for DREQ/DACK; strobes active low; TC active high)
  output logic              dreq_o,
  input  logic              dack_i,
  input  logic              ior_ni,
  input  logic              iow_ni,
  input  logic              tc_i,
  input  logic [15:0]       data_i,      // memory -> device, valid while IOW is low
  output logic [15:0]       data_o,      // device -> memory, sampled during IOR

  // FIFO
  input  logic [FifoAw:0]   level_i,
  input  logic [FifoAw:0]   space_i,
  input  logic [31:0]       pop_data_i,
  output logic              pop_o,
  output logic [2:0]        pop_n_o,
  output logic              push_o,
  output logic [2:0]        push_n_o,
  output logic [31:0]       push_data_o,

  output logic [31:0]       moved_o,     // bytes moved since clear_i
  output logic              tc_seen_o,
  output logic              held_o       // a strobe this mover took is still on: data_o is
                                         // still being sampled (keep the data lines routed)
);

  localparam logic [FifoAw:0] Unit = Wide ? (FifoAw+1)'(2) : (FifoAw+1)'(1);

  logic        dack, strobe, first;
  logic        taken_q, taken_d;
  logic [15:0] data_q, data_d;
  logic [31:0] moved_q, moved_d;
  logic        tc_seen_q, tc_seen_d;
  logic        dreq_q, dreq_d;

  assign dack   = dack_high_i ? dack_i : !dack_i;
  assign strobe = dack && (dir_in_i ? !ior_ni : !iow_ni);
  // The first cycle of a strobe moves the unit; the rest of the strobe shows data_q.
  assign first  = enable_i && strobe && !taken_q;

  logic [FifoAw:0] in_n;      // DATA IN: bytes this transfer takes from the FIFO
  logic [31:0]     out_left;  // DATA OUT: bytes still below the limit
  logic [FifoAw:0] out_n;     // DATA OUT: bytes this transfer keeps
  logic [15:0]     head;

  assign in_n     = (level_i < Unit) ? level_i : Unit;
  assign out_left = (moved_q < limit_i) ? limit_i - moved_q : '0;
  assign out_n    = (out_left < 32'(Unit)) ? out_left[FifoAw:0] : Unit;
  // Bytes past the level read as 0 (a partial last unit).
  assign head = {(in_n > (FifoAw+1)'(1)) ? pop_data_i[15:8] : 8'h00,
                 (in_n > (FifoAw+1)'(0)) ? pop_data_i[7:0]  : 8'h00};

  // The FIFO strobes are continuous assignments, not variables of the block below: Icarus
  // Verilog 11 re-runs a block whose output feeds the FIFO in a zero-delay loop.
  logic out_ok;
  assign out_ok      = out_n != '0 && space_i >= out_n;
  assign pop_o       = first && dir_in_i && in_n != '0;
  assign pop_n_o     = 3'(in_n);
  assign push_o      = first && !dir_in_i && out_ok;
  assign push_n_o    = 3'(out_n);
  assign push_data_o = {16'h0, Wide ? data_i : {8'h00, data_i[7:0]}};

  always_comb begin
    taken_d     = strobe && (taken_q || enable_i);
    data_d      = data_q;
    moved_d     = moved_q;
    tc_seen_d   = tc_seen_q || (enable_i && dack && tc_i);
    if (first) begin
      if (dir_in_i) begin
        data_d  = head;
        moved_d = moved_q + 32'(in_n);
      end else begin
        moved_d = moved_q + (out_ok ? 32'(out_n) : 32'd0);
      end
    end
    if (clear_i) begin
      moved_d   = '0;
      tc_seen_d = 1'b0;
    end
  end

  // DREQ, registered. inflight: a transfer granted (DACK) whose strobe has not moved its unit.
  logic [FifoAw:0] inflight;
  assign inflight = (dack && !taken_q) ? Unit : '0;

  always_comb begin
    dreq_d = 1'b0;
    if (enable_i && !tc_seen_q && !clear_i) begin
      if (dir_in_i) begin
        dreq_d = tail_i ? (level_i > inflight) : (level_i >= Unit + inflight);
      end else begin
        dreq_d = (moved_q + 32'(inflight) < limit_i) && (space_i >= Unit + inflight);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      taken_q   <= 1'b0;
      data_q    <= '0;
      moved_q   <= '0;
      tc_seen_q <= 1'b0;
      dreq_q    <= 1'b0;
    end else begin
      taken_q   <= taken_d;
      data_q    <= data_d;
      moved_q   <= moved_d;
      tc_seen_q <= tc_seen_d;
      dreq_q    <= dreq_d;
    end
  end

  assign dreq_o    = dreq_q ^ dreq_low_i;
  assign data_o    = taken_q ? data_q : head;
  assign moved_o   = moved_q;
  assign tc_seen_o = tc_seen_q;
  assign held_o    = taken_q;

  logic unused_pop_hi;
  assign unused_pop_hi = ^pop_data_i[31:16];

endmodule
