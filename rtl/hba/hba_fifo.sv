// hba_fifo: the HBA's data FIFO between the SCSI side (one byte per handshake) and a data
// mover (1-4 bytes per cycle). One push port and one pop port, each taking 1-4 bytes per cycle;
// hba.sv connects them to the sequencer or to the mover according to the data direction, so in
// any one command bytes enter on one side and leave on the other. A push and a pop may happen
// in the same cycle. flush_i empties the FIFO (it wins over a push in the same cycle).
//
// Byte i of push_data_i / pop_data_o is in bits [8i+7:8i]; pop_data_o shows the (up to) four
// oldest bytes, byte 0 the oldest, straight from the storage (no read latency).
module hba_fifo #(
  parameter int Aw = 6                      // 2**Aw bytes
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          flush_i,

  input  logic          push_i,
  input  logic [2:0]    push_n_i,           // 1-4; the caller checks space_o
  input  logic [31:0]   push_data_i,

  input  logic          pop_i,
  input  logic [2:0]    pop_n_i,            // 1-4; the caller checks level_o
  output logic [31:0]   pop_data_o,

  output logic [Aw:0]   level_o,            // bytes held
  output logic [Aw:0]   space_o             // bytes free
);

  localparam int Depth = 1 << Aw;

  logic [Aw-1:0] wptr_q, rptr_q;
  logic [Aw:0]   level_q;

  logic [Aw:0] push_cnt, pop_cnt;
  assign push_cnt = push_i ? (Aw+1)'(push_n_i) : '0;
  assign pop_cnt  = pop_i  ? (Aw+1)'(pop_n_i)  : '0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      level_q <= '0;
    end else if (flush_i) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      level_q <= '0;
    end else begin
      wptr_q  <= wptr_q + Aw'(push_cnt);
      rptr_q  <= rptr_q + Aw'(pop_cnt);
      level_q <= level_q + push_cnt - pop_cnt;
    end
  end

  // Storage without reset: bytes are only read below the level. (A packed vector, not an
  // unpacked array: simpler for Icarus Verilog 11.) Byte addresses are computed in Aw bits so
  // that they wrap; inside 8*(...) the sum would be widened to 32 bits and run off the end.
  logic [8*Depth-1:0] mem_q;
  logic [Aw-1:0]      waddr [4];
  logic [Aw-1:0]      raddr [4];
  for (genvar i = 0; i < 4; i++) begin : g_addr
    assign waddr[i] = wptr_q + Aw'(i);
    assign raddr[i] = rptr_q + Aw'(i);
  end

  always_ff @(posedge clk_i) begin
    if (push_i && !flush_i) begin
      mem_q[8*waddr[0] +: 8] <= push_data_i[7:0];
      if (push_n_i > 3'd1) mem_q[8*waddr[1] +: 8] <= push_data_i[15:8];
      if (push_n_i > 3'd2) mem_q[8*waddr[2] +: 8] <= push_data_i[23:16];
      if (push_n_i > 3'd3) mem_q[8*waddr[3] +: 8] <= push_data_i[31:24];
    end
  end

  assign pop_data_o = {mem_q[8*raddr[3] +: 8], mem_q[8*raddr[2] +: 8],
                       mem_q[8*raddr[1] +: 8], mem_q[8*raddr[0] +: 8]};

  assign level_o = level_q;
  assign space_o = (Aw+1)'(Depth) - level_q;

endmodule
