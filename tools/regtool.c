/* regtool: register description compiler. Reads one block's `*.regs` file (format in
 * docs/regtool.md and docs/contracts.md section 5) and writes the C header, the SystemVerilog
 * package and the Markdown documentation of that block, so the three never drift apart.
 *
 *   regtool [--c OUT.h] [--sv OUT.sv] [--md OUT.md] FILE.regs
 *   regtool --check FILE.regs
 *
 * OUT may be "-" for standard output. Every output is built in memory and written to a
 * temporary file beside OUT, then renamed over it, so make never sees half a file.
 * Exit status: 0 ok, 1 the description has errors (each reported as FILE:LINE: error: ...),
 * 2 usage error, 3 an output could not be written. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINE 4096u      /* longer lines are rejected, not truncated */
#define MAX_NAME 64u
#define MAX_TOKENS 32u
#define MAX_ERRORS 50u      /* stop reporting after this many */

/* ------------------------------------------------------------------------------------------ */
/* Access types. Readable/writable decide which fields may live in which register and which
 * registers may share an address (a read-only and a write-only register, as the 8237's
 * status/command pair at one port). */

typedef enum { ACC_RW, ACC_RO, ACC_WO, ACC_W1C, ACC_RC, ACC_WC, ACC_COUNT } access_t;

static const struct access_info {
  const char *name;
  int readable, writable;
  const char *meaning;
} access_table[ACC_COUNT] = {
    [ACC_RW] = {"rw", 1, 1, "read/write"},
    [ACC_RO] = {"ro", 1, 0, "read-only (writes ignored)"},
    [ACC_WO] = {"wo", 0, 1, "write-only"},
    [ACC_W1C] = {"w1c", 1, 1, "readable, writing 1 to a bit clears it"},
    [ACC_RC] = {"rc", 1, 0, "readable, a read clears it"},
    [ACC_WC] = {"wc", 1, 1, "readable, any write clears it"},
};

/* ------------------------------------------------------------------------------------------ */
/* The parsed description */

typedef struct value {
  char *name, *desc;
  uint32_t val;
  unsigned line;
} value_t;

typedef struct field {
  char *name, *desc;
  unsigned msb, lsb, line;
  access_t acc;
  int has_reset;
  uint32_t reset;
  value_t *values;
  size_t nvalues, capvalues;
} field_t;

/* A register, or an alias: another name for the register at the same address (the other
 * half of a read/write pair), which may describe its own fields. */
typedef struct reg {
  char *name, *desc;
  uint32_t offset;
  unsigned width, line;
  access_t acc;
  int has_reset;
  uint32_t reset;
  field_t *fields;
  size_t nfields, capfields;
  int is_alias;
  size_t target;         /* alias: index of the register it names (set by check_block) */
} reg_t;

typedef enum { SPACE_NONE, SPACE_IO, SPACE_MMIO } space_t;

typedef struct block {
  const char *path;      /* as given, for messages */
  const char *file;      /* basename, for the "generated from" notes (stable across cwd) */
  char *name, *desc;     /* name as written (lower-case for the package name) */
  unsigned line;
  space_t space;
  unsigned space_line;
  int has_base;
  uint32_t base;
  unsigned base_line;
  reg_t *regs;           /* registers and aliases in file order */
  size_t nregs, capregs;
  unsigned errors;
  int oom;
} block_t;

/* ------------------------------------------------------------------------------------------ */
/* Diagnostics */

static void diag(block_t *b, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void diag(block_t *b, unsigned line, const char *fmt, ...) {
  b->errors++;
  if (b->errors > MAX_ERRORS) return;
  va_list ap;
  va_start(ap, fmt);
  if (line)
    fprintf(stderr, "%s:%u: error: ", b->path, line);
  else
    fprintf(stderr, "%s: error: ", b->path);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  if (b->errors == MAX_ERRORS) fprintf(stderr, "%s: too many errors, stopping\n", b->path);
  va_end(ap);
}

/* ------------------------------------------------------------------------------------------ */
/* Memory helpers: allocation failure is reported once and turns into an error exit. */

static void *grow(block_t *b, void *p, size_t *cap, size_t n, size_t elem) {
  if (n < *cap) return p;
  size_t nc = *cap ? *cap * 2 : 8;
  if (nc > SIZE_MAX / elem) {
    b->oom = 1;
    return NULL;
  }
  void *q = realloc(p, nc * elem);
  if (!q) {
    b->oom = 1;
    return NULL;
  }
  memset((char *)q + *cap * elem, 0, (nc - *cap) * elem);
  *cap = nc;
  return q;
}

static char *dupstr(block_t *b, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (!d) {
    b->oom = 1;
    return NULL;
  }
  memcpy(d, s, n);
  return d;
}

static void block_free(block_t *b) {
  for (size_t i = 0; i < b->nregs; i++) {
    reg_t *r = &b->regs[i];
    for (size_t j = 0; j < r->nfields; j++) {
      field_t *f = &r->fields[j];
      for (size_t k = 0; k < f->nvalues; k++) {
        free(f->values[k].name);
        free(f->values[k].desc);
      }
      free(f->values);
      free(f->name);
      free(f->desc);
    }
    free(r->fields);
    free(r->name);
    free(r->desc);
  }
  free(b->regs);
  free(b->name);
  free(b->desc);
}

/* ------------------------------------------------------------------------------------------ */
/* Lexical pieces */

typedef enum { TOK_WORD, TOK_STRING } tok_kind_t;
typedef struct token {
  tok_kind_t kind;
  char *text; /* points into the line buffer (strings unescaped in place) */
} token_t;

/* Splits a line into words and quoted strings; '#' outside a string starts a comment.
 * Strings may contain \" and \\. Returns the token count, or -1 after reporting an error. */
static int tokenize(block_t *b, unsigned line, char *s, token_t *toks) {
  int n = 0;
  for (;;) {
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    if (*s == '\0' || *s == '#') return n;
    if (n == (int)MAX_TOKENS) {
      diag(b, line, "too many tokens on one line (at most %u)", MAX_TOKENS);
      return -1;
    }
    if (*s == '"') {
      char *out = ++s, *start = s;
      for (;;) {
        if (*s == '\0') {
          diag(b, line, "unterminated string");
          return -1;
        }
        if (*s == '"') break;
        if (*s == '\\') {
          if (s[1] == '"' || s[1] == '\\') {
            *out++ = s[1];
            s += 2;
            continue;
          }
          diag(b, line, "unknown escape '\\%c' in string (only \\\" and \\\\)",
               s[1] ? s[1] : ' ');
          return -1;
        }
        if (*s == '\t') {
          *out++ = ' ';
          s++;
          continue;
        }
        *out++ = *s++;
      }
      s++; /* past the closing quote */
      *out = '\0';
      toks[n].kind = TOK_STRING;
      toks[n].text = start;
      n++;
      if (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#') {
        diag(b, line, "missing space after a string");
        return -1;
      }
    } else {
      toks[n].kind = TOK_WORD;
      toks[n].text = s;
      while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#' && *s != '"') s++;
      if (*s == '"') {
        diag(b, line, "unexpected '\"' inside '%.*s' (strings are separate tokens)",
             (int)(s - toks[n].text), toks[n].text);
        return -1;
      }
      n++;
      if (*s == '#') {
        *s = '\0';
        return n;
      }
      if (*s) *s++ = '\0';
    }
  }
}

/* Unsigned 32-bit number: 0x hex, 0b binary or decimal; '_' may separate digits. */
static int parse_u32(const char *s, uint32_t *out) {
  unsigned radix = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s += 2;
  } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    radix = 2;
    s += 2;
  }
  uint64_t v = 0;
  int digits = 0, prev_us = 0;
  for (; *s; s++) {
    if (*s == '_') {
      if (!digits || prev_us) return -1;
      prev_us = 1;
      continue;
    }
    unsigned d;
    if (*s >= '0' && *s <= '9')
      d = (unsigned)(*s - '0');
    else if (*s >= 'a' && *s <= 'f')
      d = (unsigned)(*s - 'a' + 10);
    else if (*s >= 'A' && *s <= 'F')
      d = (unsigned)(*s - 'A' + 10);
    else
      return -1;
    if (d >= radix) return -1;
    v = v * radix + d;
    if (v > 0xFFFFFFFFull) return -1;
    digits++;
    prev_us = 0;
  }
  if (!digits || prev_us) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > MAX_NAME) return 0;
  if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) return 0;
  for (size_t i = 1; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '_'))
      return 0;
  }
  return 1;
}

static int name_eq(const char *a, const char *b) {
  for (;; a++, b++) {
    char x = *a, y = *b;
    if (x >= 'a' && x <= 'z') x = (char)(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = (char)(y - 'a' + 'A');
    if (x != y) return 0;
    if (!x) return 1;
  }
}

static int parse_access(const char *s, access_t *out) {
  for (int i = 0; i < ACC_COUNT; i++)
    if (strcmp(s, access_table[i].name) == 0) {
      *out = (access_t)i;
      return 0;
    }
  return -1;
}

static uint32_t mask_bits(unsigned width) {
  return width >= 32 ? 0xFFFFFFFFu : ((1u << width) - 1u);
}

/* "[MSB:LSB]" or "[BIT]" */
static int parse_range(const char *s, unsigned *msb, unsigned *lsb) {
  char buf[64];
  size_t n = strlen(s);
  if (n < 3 || n >= sizeof buf || s[0] != '[' || s[n - 1] != ']') return -1;
  memcpy(buf, s + 1, n - 2);
  buf[n - 2] = '\0';
  char *colon = strchr(buf, ':');
  uint32_t hi, lo;
  if (colon) {
    *colon = '\0';
    if (parse_u32(buf, &hi) || parse_u32(colon + 1, &lo)) return -1;
  } else {
    if (parse_u32(buf, &hi)) return -1;
    lo = hi;
  }
  if (hi > 1000 || lo > 1000) return -1; /* checked against the width later */
  *msb = hi;
  *lsb = lo;
  return 0;
}

/* "key=value" attribute: returns the value part if the word starts with key=. */
static const char *attr(const char *word, const char *key) {
  size_t k = strlen(key);
  if (strncmp(word, key, k) == 0 && word[k] == '=') return word + k + 1;
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing, one line at a time */

typedef struct parse_state {
  long reg_idx;       /* last `reg` or `alias` (an index: the array may move), -1 if none */
  long field_idx;     /* last `field` of that reg, -1 if none */
} parse_state_t;

static int want_string(block_t *b, unsigned line, const token_t *t, const char *what) {
  if (t->kind != TOK_STRING) {
    diag(b, line, "%s: expected a quoted description, found '%s'", what, t->text);
    return -1;
  }
  for (const unsigned char *p = (const unsigned char *)t->text; *p; p++)
    if (*p < 0x20 || *p == 0x7F) {
      diag(b, line, "%s: control character 0x%02X in description", what, *p);
      return -1;
    }
  return 0;
}

static int want_name(block_t *b, unsigned line, const token_t *t, const char *what) {
  if (t->kind != TOK_WORD || !valid_name(t->text)) {
    diag(b, line,
         "%s: bad name '%s' (a letter, then letters, digits or '_', at most %u characters)",
         what, t->text, MAX_NAME);
    return -1;
  }
  return 0;
}

static int want_offset(block_t *b, unsigned line, const token_t *t, const char *what,
                       uint32_t *off) {
  if (t->kind != TOK_WORD || t->text[0] != '@' || parse_u32(t->text + 1, off)) {
    diag(b, line, "%s: expected @OFFSET (e.g. @0x1C), found '%s'", what, t->text);
    return -1;
  }
  return 0;
}

static void parse_block(block_t *b, unsigned line, token_t *t, int n) {
  if (b->name) {
    diag(b, line, "second 'block' line (first at line %u): one block per file", b->line);
    return;
  }
  if (n != 3) {
    diag(b, line, "usage: block NAME \"description\"");
    return;
  }
  if (want_name(b, line, &t[1], "block") || want_string(b, line, &t[2], "block")) return;
  b->name = dupstr(b, t[1].text);
  b->desc = dupstr(b, t[2].text);
  b->line = line;
}

static void parse_space(block_t *b, unsigned line, token_t *t, int n) {
  if (b->space != SPACE_NONE) {
    diag(b, line, "'space' given twice (first at line %u)", b->space_line);
    return;
  }
  if (n != 2 || t[1].kind != TOK_WORD ||
      (strcmp(t[1].text, "io") != 0 && strcmp(t[1].text, "mmio") != 0)) {
    diag(b, line, "usage: space io|mmio");
    return;
  }
  if (b->nregs) {
    diag(b, line, "'space' must come before the first reg");
    return;
  }
  b->space = strcmp(t[1].text, "io") == 0 ? SPACE_IO : SPACE_MMIO;
  b->space_line = line;
}

static void parse_base(block_t *b, unsigned line, token_t *t, int n) {
  if (b->has_base) {
    diag(b, line, "'base' given twice (first at line %u)", b->base_line);
    return;
  }
  if (n != 2 || t[1].kind != TOK_WORD || parse_u32(t[1].text, &b->base)) {
    diag(b, line, "usage: base 0xADDRESS (a 32-bit number)");
    return;
  }
  b->has_base = 1;
  b->base_line = line;
}

static void parse_reg(block_t *b, parse_state_t *ps, unsigned line, token_t *t, int n) {
  ps->reg_idx = -1;
  ps->field_idx = -1;
  if (b->space == SPACE_NONE) {
    diag(b, line, "'space io|mmio' must come before the first reg");
    return;
  }
  if (n < 4) {
    diag(b, line,
         "usage: reg NAME @OFFSET [width=8|16|32] [access=rw|ro|wo|w1c|rc|wc] [reset=N] "
         "\"description\"");
    return;
  }
  reg_t r;
  memset(&r, 0, sizeof r);
  r.line = line;
  r.width = b->space == SPACE_IO ? 8 : 32;
  r.acc = ACC_RW;
  int have_width = 0, have_acc = 0;
  if (want_name(b, line, &t[1], "reg") || want_offset(b, line, &t[2], "reg", &r.offset) ||
      want_string(b, line, &t[n - 1], "reg"))
    return;
  for (int i = 3; i < n - 1; i++) {
    const char *v;
    if (t[i].kind != TOK_WORD) {
      diag(b, line, "reg %s: unexpected string before the description", t[1].text);
      return;
    }
    if ((v = attr(t[i].text, "width"))) {
      uint32_t w;
      if (have_width++ || parse_u32(v, &w) || (w != 8 && w != 16 && w != 32)) {
        diag(b, line, "reg %s: bad or repeated width '%s' (8, 16 or 32)", t[1].text, v);
        return;
      }
      r.width = w;
    } else if ((v = attr(t[i].text, "access"))) {
      if (have_acc++ || parse_access(v, &r.acc)) {
        diag(b, line, "reg %s: bad or repeated access '%s' (rw, ro, wo, w1c, rc, wc)",
             t[1].text, v);
        return;
      }
    } else if ((v = attr(t[i].text, "reset"))) {
      if (r.has_reset++ || parse_u32(v, &r.reset)) {
        diag(b, line, "reg %s: bad or repeated reset value '%s'", t[1].text, v);
        return;
      }
    } else {
      diag(b, line, "reg %s: unknown attribute '%s' (width=, access=, reset=)", t[1].text,
           t[i].text);
      return;
    }
  }
  reg_t *regs = grow(b, b->regs, &b->capregs, b->nregs, sizeof *regs);
  if (!regs) return;
  b->regs = regs;
  r.name = dupstr(b, t[1].text);
  r.desc = dupstr(b, t[n - 1].text);
  b->regs[b->nregs] = r;
  ps->reg_idx = (long)b->nregs++;
}

static void parse_field(block_t *b, parse_state_t *ps, unsigned line, token_t *t, int n) {
  ps->field_idx = -1;
  if (ps->reg_idx < 0) {
    diag(b, line, "'field' must follow a 'reg' or 'alias' (or another field of it)");
    return;
  }
  reg_t *r = &b->regs[ps->reg_idx];
  if (n < 5 || n > 6) {
    diag(b, line,
         "usage: field NAME [MSB:LSB] rw|ro|wo|w1c|rc|wc [reset=N] \"description\"");
    return;
  }
  field_t f;
  memset(&f, 0, sizeof f);
  f.line = line;
  if (want_name(b, line, &t[1], "field") || want_string(b, line, &t[n - 1], "field")) return;
  if (t[2].kind != TOK_WORD || parse_range(t[2].text, &f.msb, &f.lsb)) {
    diag(b, line, "field %s: expected a bit range [MSB:LSB] or [BIT], found '%s'", t[1].text,
         t[2].text);
    return;
  }
  const char *acc = t[3].kind == TOK_WORD ? t[3].text : "";
  const char *v = attr(acc, "access");
  if (parse_access(v ? v : acc, &f.acc)) {
    diag(b, line, "field %s: expected an access type (rw, ro, wo, w1c, rc, wc), found '%s'",
         t[1].text, t[3].text);
    return;
  }
  if (n == 6) {
    v = t[4].kind == TOK_WORD ? attr(t[4].text, "reset") : NULL;
    if (!v || parse_u32(v, &f.reset)) {
      diag(b, line, "field %s: expected reset=N, found '%s'", t[1].text, t[4].text);
      return;
    }
    f.has_reset = 1;
  }
  field_t *fields = grow(b, r->fields, &r->capfields, r->nfields, sizeof *fields);
  if (!fields) return;
  r->fields = fields;
  f.name = dupstr(b, t[1].text);
  f.desc = dupstr(b, t[n - 1].text);
  r->fields[r->nfields] = f;
  ps->field_idx = (long)r->nfields++;
}

static void parse_value(block_t *b, parse_state_t *ps, unsigned line, token_t *t, int n) {
  if (ps->reg_idx < 0 || ps->field_idx < 0) {
    diag(b, line, "'value' must follow a 'field' (or another value of it)");
    return;
  }
  field_t *f = &b->regs[ps->reg_idx].fields[ps->field_idx];
  if (n != 4) {
    diag(b, line, "usage: value NAME N \"description\"");
    return;
  }
  value_t v;
  memset(&v, 0, sizeof v);
  v.line = line;
  if (want_name(b, line, &t[1], "value") || want_string(b, line, &t[3], "value")) return;
  if (t[2].kind != TOK_WORD || parse_u32(t[2].text, &v.val)) {
    diag(b, line, "value %s: bad number '%s'", t[1].text, t[2].text);
    return;
  }
  value_t *vals = grow(b, f->values, &f->capvalues, f->nvalues, sizeof *vals);
  if (!vals) return;
  f->values = vals;
  v.name = dupstr(b, t[1].text);
  v.desc = dupstr(b, t[3].text);
  f->values[f->nvalues++] = v;
}

static void parse_alias(block_t *b, parse_state_t *ps, unsigned line, token_t *t, int n) {
  ps->reg_idx = -1;
  ps->field_idx = -1;
  if (b->space == SPACE_NONE) {
    diag(b, line, "'space io|mmio' must come before the first alias");
    return;
  }
  if (n != 4) {
    diag(b, line, "usage: alias NAME @OFFSET \"description\"");
    return;
  }
  reg_t a;
  memset(&a, 0, sizeof a);
  a.line = line;
  a.is_alias = 1;
  a.acc = ACC_RW; /* settled by check_block from the fields or the named register */
  if (want_name(b, line, &t[1], "alias") || want_offset(b, line, &t[2], "alias", &a.offset) ||
      want_string(b, line, &t[3], "alias"))
    return;
  reg_t *regs = grow(b, b->regs, &b->capregs, b->nregs, sizeof *regs);
  if (!regs) return;
  b->regs = regs;
  a.name = dupstr(b, t[1].text);
  a.desc = dupstr(b, t[3].text);
  b->regs[b->nregs] = a;
  ps->reg_idx = (long)b->nregs++;
}

static void parse_line(block_t *b, parse_state_t *ps, unsigned line, char *text) {
  token_t t[MAX_TOKENS];
  int n = tokenize(b, line, text, t);
  if (n <= 0) return;
  if (t[0].kind != TOK_WORD) {
    diag(b, line, "a line must start with a keyword (block, space, base, reg, field, value, "
                  "alias)");
    return;
  }
  const char *kw = t[0].text;
  if (strcmp(kw, "block") != 0 && !b->name) {
    diag(b, line, "the first line must be 'block NAME \"description\"', found '%s'", kw);
    b->name = dupstr(b, "invalid"); /* report this once, keep checking the rest */
    b->line = line;
  }
  if (strcmp(kw, "block") == 0)
    parse_block(b, line, t, n);
  else if (strcmp(kw, "space") == 0)
    parse_space(b, line, t, n);
  else if (strcmp(kw, "base") == 0)
    parse_base(b, line, t, n);
  else if (strcmp(kw, "reg") == 0)
    parse_reg(b, ps, line, t, n);
  else if (strcmp(kw, "field") == 0)
    parse_field(b, ps, line, t, n);
  else if (strcmp(kw, "value") == 0)
    parse_value(b, ps, line, t, n);
  else if (strcmp(kw, "alias") == 0)
    parse_alias(b, ps, line, t, n);
  else
    diag(b, line,
         "unknown keyword '%s' (block, space, base, reg, field, value, alias)", kw);
}

static int parse_file(block_t *b, FILE *fp) {
  char buf[MAX_LINE + 2];
  unsigned line = 0;
  parse_state_t ps = {-1, -1};
  for (;;) {
    size_t len = 0;
    int c = 0, too_long = 0, nul = 0;
    while ((c = fgetc(fp)) != EOF && c != '\n') {
      if (c == '\0') nul = 1;
      if (len < MAX_LINE)
        buf[len++] = (char)c;
      else
        too_long = 1;
    }
    if (c == EOF && len == 0 && !too_long) break;
    buf[len] = '\0';
    line++;
    if (line == 0) { /* wrapped: absurdly long file */
      diag(b, 0, "file has too many lines");
      return -1;
    }
    if (too_long)
      diag(b, line, "line longer than %u characters", MAX_LINE);
    else if (nul)
      diag(b, line, "NUL byte in line (not a text file?)");
    else
      parse_line(b, &ps, line, buf);
    if (b->oom) {
      fprintf(stderr, "%s: error: out of memory\n", b->path);
      return -1;
    }
    if (b->errors > MAX_ERRORS) return -1;
    if (c == EOF) break;
  }
  if (ferror(fp)) {
    diag(b, 0, "read error: %s", strerror(errno));
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Semantic checks */

static void check_fields(block_t *b, reg_t *r) {
  const struct access_info *ra = &access_table[r->acc];
  uint32_t used = 0, fresets = 0;
  int any_freset = 0;
  if (r->has_reset && (r->reset & ~mask_bits(r->width)))
    diag(b, r->line, "reg %s: reset value 0x%X does not fit in %u bits", r->name, r->reset,
         r->width);
  for (size_t i = 0; i < r->nfields; i++) {
    field_t *f = &r->fields[i];
    const struct access_info *fa = &access_table[f->acc];
    if (f->msb < f->lsb) {
      diag(b, f->line, "field %s.%s: range [%u:%u] has MSB below LSB", r->name, f->name, f->msb,
           f->lsb);
      continue;
    }
    if (f->msb >= r->width) {
      diag(b, f->line, "field %s.%s: bits [%u:%u] beyond the %u-bit register", r->name, f->name,
           f->msb, f->lsb, r->width);
      continue;
    }
    unsigned w = f->msb - f->lsb + 1;
    uint32_t m = mask_bits(w) << f->lsb;
    if (used & m) {
      for (size_t j = 0; j < i; j++) {
        field_t *g = &r->fields[j];
        if (g->msb >= g->lsb && g->msb < r->width &&
            ((mask_bits(g->msb - g->lsb + 1) << g->lsb) & m))
          diag(b, f->line, "field %s.%s [%u:%u] overlaps field %s [%u:%u] (line %u)", r->name,
               f->name, f->msb, f->lsb, g->name, g->msb, g->lsb, g->line);
      }
    }
    used |= m;
    for (size_t j = 0; j < i; j++)
      if (name_eq(r->fields[j].name, f->name))
        diag(b, f->line, "field %s.%s: duplicate field name (line %u)", r->name, f->name,
             r->fields[j].line);
    if (!r->is_alias && ((fa->writable && !ra->writable) || (fa->readable && !ra->readable)))
      diag(b, f->line, "field %s.%s: access %s does not fit register access %s", r->name,
           f->name, fa->name, ra->name);
    if (f->has_reset) {
      if (f->reset & ~mask_bits(w)) {
        diag(b, f->line, "field %s.%s: reset value 0x%X does not fit in %u bits", r->name,
             f->name, f->reset, w);
        continue;
      }
      if (r->has_reset && ((r->reset >> f->lsb) & mask_bits(w)) != f->reset)
        diag(b, f->line,
             "field %s.%s: reset 0x%X disagrees with the register reset 0x%X (line %u)",
             r->name, f->name, f->reset, r->reset, r->line);
      fresets |= f->reset << f->lsb;
      any_freset = 1;
    } else if (r->has_reset) {
      f->reset = (r->reset >> f->lsb) & mask_bits(w);
    }
    for (size_t k = 0; k < f->nvalues; k++) {
      value_t *v = &f->values[k];
      if (v->val & ~mask_bits(w))
        diag(b, v->line, "value %s.%s.%s: 0x%X does not fit in the %u-bit field", r->name,
             f->name, v->name, v->val, w);
      for (size_t l = 0; l < k; l++) {
        if (name_eq(f->values[l].name, v->name))
          diag(b, v->line, "value %s.%s.%s: duplicate value name (line %u)", r->name, f->name,
               v->name, f->values[l].line);
        else if (f->values[l].val == v->val)
          diag(b, v->line, "value %s.%s.%s: 0x%X already named %s (line %u)", r->name, f->name,
               v->name, v->val, f->values[l].name, f->values[l].line);
      }
    }
  }
  if (!r->has_reset && any_freset) r->reset = fresets;
}

static void resolve_alias(block_t *b, reg_t *a) {
  size_t k;
  for (k = 0; k < b->nregs; k++)
    if (!b->regs[k].is_alias && b->regs[k].offset == a->offset) break;
  if (k == b->nregs) {
    diag(b, a->line, "alias %s: no register at offset 0x%X", a->name, a->offset);
    a->width = 0;
    return;
  }
  const reg_t *t = &b->regs[k];
  a->target = k;
  a->width = t->width;
  a->acc = t->acc;
  if (a->nfields) { /* a view with its own fields: readable/writable as they are */
    int rd = 0, wr = 0;
    for (size_t j = 0; j < a->nfields; j++) {
      rd |= access_table[a->fields[j].acc].readable;
      wr |= access_table[a->fields[j].acc].writable;
    }
    a->acc = rd && wr ? ACC_RW : rd ? ACC_RO : ACC_WO;
  }
}

static void check_block(block_t *b) {
  if (!b->name) {
    diag(b, 0, "empty description: no 'block' line");
    return;
  }
  if (b->space == SPACE_NONE) diag(b, b->line, "block %s: missing 'space io|mmio'", b->name);
  if (b->space == SPACE_IO && b->has_base)
    diag(b, b->base_line, "'base' is for mmio blocks only (io blocks use port numbers)");
  if (b->space == SPACE_MMIO && !b->has_base)
    diag(b, b->line, "block %s: an mmio block needs 'base 0xADDRESS'", b->name);
  if (b->nregs == 0 && b->space != SPACE_NONE) diag(b, b->line, "block %s: no registers", b->name);

  for (size_t i = 0; i < b->nregs; i++) {
    reg_t *r = &b->regs[i];
    for (size_t j = 0; j < i; j++)
      if (name_eq(b->regs[j].name, r->name))
        diag(b, r->line, "%s %s: duplicate register name (line %u)",
             r->is_alias ? "alias" : "reg", r->name, b->regs[j].line);
    if (r->is_alias) {
      resolve_alias(b, r);
      if (r->width) check_fields(b, r);
      continue;
    }
    unsigned bytes = r->width / 8; /* io: one port per byte; mmio: byte offsets */
    if (b->space == SPACE_IO && (uint64_t)r->offset + bytes - 1 > 0xFFFFu)
      diag(b, r->line, "reg %s: port 0x%X beyond the 16-bit I/O space", r->name, r->offset);
    if (b->space == SPACE_MMIO && (uint64_t)r->offset + bytes - 1 > 0xFFFFFFFFull)
      diag(b, r->line, "reg %s: offset 0x%X beyond the 32-bit space", r->name, r->offset);
    if (b->space == SPACE_MMIO && r->offset % bytes)
      diag(b, r->line, "reg %s: offset 0x%X is not aligned to its %u-byte width", r->name,
           r->offset, bytes);
    check_fields(b, r);
    for (size_t j = 0; j < i; j++) {
      reg_t *q = &b->regs[j];
      if (q->is_alias) continue;
      uint64_t a0 = r->offset, a1 = a0 + bytes, b0 = q->offset, b1 = b0 + q->width / 8;
      if (a0 < b1 && b0 < a1) {
        const struct access_info *ra = &access_table[r->acc], *qa = &access_table[q->acc];
        /* a read-only and a write-only register may share an address (read/write pair) */
        int pair = a0 == b0 && a1 == b1 && !(ra->readable && qa->readable) &&
                   !(ra->writable && qa->writable);
        if (!pair)
          diag(b, r->line,
               "reg %s at 0x%X overlaps reg %s at 0x%X (line %u); only a read-only and a "
               "write-only register of the same width may share an address (or use 'alias')",
               r->name, r->offset, q->name, q->offset, q->line);
      }
    }
  }
}

/* Every identifier the outputs define, checked for collisions (for example a field named
 * RESET would define BLOCK_REG_RESET twice, a value named MASK collides with _MASK). */
typedef struct ident {
  char *text;
  unsigned line;
} ident_t;

typedef struct ident_set {
  ident_t *v;
  size_t n, cap;
} ident_set_t;

static void upper_into(char *dst, size_t cap, const char *src) {
  size_t i = 0;
  for (; src[i] && i + 1 < cap; i++) {
    char c = src[i];
    dst[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
  }
  dst[i] = '\0';
}

static void ident_add(block_t *b, ident_set_t *s, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void ident_add(block_t *b, ident_set_t *s, unsigned line, const char *fmt, ...) {
  char buf[4 * MAX_NAME + 64], up[sizeof buf];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  upper_into(up, sizeof up, buf);
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->v[i].text, up) == 0) {
      diag(b, line, "generated name %s is also defined by line %u; rename one of them", up,
           s->v[i].line);
      return;
    }
  ident_t *v = grow(b, s->v, &s->cap, s->n, sizeof *v);
  if (!v) return;
  s->v = v;
  s->v[s->n].text = dupstr(b, up);
  s->v[s->n].line = line;
  if (s->v[s->n].text) s->n++;
}

static void check_names(block_t *b) {
  ident_set_t s = {NULL, 0, 0};
  const char *B = b->name;
  ident_add(b, &s, b->line, "%s_REGS_H", B);
  ident_add(b, &s, b->line, "%s_BASE", B);
  for (size_t i = 0; i < b->nregs; i++) {
    reg_t *r = &b->regs[i];
    ident_add(b, &s, r->line, "%s_%s", B, r->name);
    if (!r->is_alias) ident_add(b, &s, r->line, "%s_%s_RESET", B, r->name);
    for (size_t j = 0; j < r->nfields; j++) {
      field_t *f = &r->fields[j];
      static const char *const suffix[] = {"SHIFT", "MASK", "WIDTH", "LSB", "MSB"};
      for (size_t k = 0; k < sizeof suffix / sizeof suffix[0]; k++)
        ident_add(b, &s, f->line, "%s_%s_%s_%s", B, r->name, f->name, suffix[k]);
      for (size_t k = 0; k < f->nvalues; k++)
        ident_add(b, &s, f->values[k].line, "%s_%s_%s_%s", B, r->name, f->name,
                  f->values[k].name);
    }
  }
  for (size_t i = 0; i < s.n; i++) free(s.v[i].text);
  free(s.v);
}

/* ------------------------------------------------------------------------------------------ */
/* Output buffer */

typedef struct sbuf {
  char *p;
  size_t n, cap;
  int oom;
} sbuf_t;

static void sb_printf(sbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *sb, const char *fmt, ...) {
  if (sb->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = sb->cap - sb->n;
    int k = vsnprintf(sb->p ? sb->p + sb->n : NULL, sb->p ? room : 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
      sb->oom = 1;
      return;
    }
    if (sb->p && (size_t)k < room) {
      sb->n += (size_t)k;
      return;
    }
    size_t nc = sb->cap ? sb->cap : 4096;
    while (nc - sb->n <= (size_t)k) nc *= 2;
    char *q = realloc(sb->p, nc);
    if (!q) {
      sb->oom = 1;
      return;
    }
    sb->p = q;
    sb->cap = nc;
  }
}

/* Text made safe for where it goes: C block comments must not see a comment end, Markdown
 * table cells must not see a bare '|'. */
static void sb_text_c(sbuf_t *sb, const char *s) {
  for (; *s; s++) {
    if (s[0] == '*' && s[1] == '/')
      sb_printf(sb, "* ");
    else
      sb_printf(sb, "%c", *s);
  }
}

static void sb_text_md(sbuf_t *sb, const char *s) {
  for (; *s; s++) {
    if (*s == '|')
      sb_printf(sb, "\\|");
    else
      sb_printf(sb, "%c", *s);
  }
}

static void upper(char *dst, const char *src) { upper_into(dst, MAX_NAME + 1, src); }

static unsigned hex_digits(unsigned width) { return (width + 3) / 4; }

/* ------------------------------------------------------------------------------------------ */
/* C header */

static void gen_c(const block_t *b, sbuf_t *o) {
  char B[MAX_NAME + 1], R[MAX_NAME + 1], F[MAX_NAME + 1], V[MAX_NAME + 1];
  upper(B, b->name);
  unsigned odig = b->space == SPACE_IO ? 2 : 3;
  sb_printf(o, "/* Generated by regtool from %s. Do not edit: edit the .regs file. */\n", b->file);
  sb_printf(o, "/* %s: ", b->name);
  sb_text_c(o, b->desc);
  sb_printf(o, " */\n#ifndef %s_REGS_H\n#define %s_REGS_H\n\n", B, B);
  if (b->space == SPACE_IO)
    sb_printf(o, "/* I/O space: each register macro is a PC I/O port number. */\n\n");
  else
    sb_printf(o, "/* Memory-mapped: each register macro is a byte offset from %s_BASE. */\n"
                 "#define %s_BASE 0x%08Xu\n\n",
              B, B, b->base);
  for (size_t i = 0; i < b->nregs; i++) {
    const reg_t *r = &b->regs[i];
    unsigned rd = hex_digits(r->width);
    upper(R, r->name);
    if (r->is_alias)
      sb_printf(o, "/* %s (alias of %s): ", r->name, b->regs[r->target].name);
    else
      sb_printf(o, "/* %s (%u-bit, %s): ", r->name, r->width, access_table[r->acc].name);
    sb_text_c(o, r->desc);
    sb_printf(o, " */\n#define %s_%s 0x%0*Xu\n", B, R, (int)odig, r->offset);
    if (!r->is_alias) sb_printf(o, "#define %s_%s_RESET 0x%0*Xu\n", B, R, (int)rd, r->reset);
    for (size_t j = 0; j < r->nfields; j++) {
      const field_t *f = &r->fields[j];
      unsigned w = f->msb - f->lsb + 1;
      upper(F, f->name);
      if (w == 1)
        sb_printf(o, "/*   %s [%u] %s: ", f->name, f->lsb, access_table[f->acc].name);
      else
        sb_printf(o, "/*   %s [%u:%u] %s: ", f->name, f->msb, f->lsb, access_table[f->acc].name);
      sb_text_c(o, f->desc);
      sb_printf(o, " */\n");
      sb_printf(o, "#define %s_%s_%s_SHIFT %uu\n", B, R, F, f->lsb);
      sb_printf(o, "#define %s_%s_%s_MASK 0x%0*Xu\n", B, R, F, (int)rd,
                mask_bits(w) << f->lsb);
      sb_printf(o, "#define %s_%s_%s_WIDTH %uu\n", B, R, F, w);
      for (size_t k = 0; k < f->nvalues; k++) {
        const value_t *v = &f->values[k];
        upper(V, v->name);
        sb_printf(o, "#define %s_%s_%s_%s 0x%0*Xu /* ", B, R, F, V, (int)hex_digits(w), v->val);
        sb_text_c(o, v->desc);
        sb_printf(o, " */\n");
      }
    }
    sb_printf(o, "\n");
  }
  sb_printf(o, "#endif /* %s_REGS_H */\n", B);
}

/* ------------------------------------------------------------------------------------------ */
/* SystemVerilog package */

static void gen_sv(const block_t *b, sbuf_t *o) {
  char B[MAX_NAME + 1], R[MAX_NAME + 1], F[MAX_NAME + 1], V[MAX_NAME + 1];
  char pkg[MAX_NAME + 1];
  upper(B, b->name);
  size_t i;
  for (i = 0; b->name[i]; i++) {
    char c = b->name[i];
    pkg[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  pkg[i] = '\0';
  unsigned aw = b->space == SPACE_IO ? 16 : 32;
  sb_printf(o, "// Generated by regtool from %s. Do not edit: edit the .regs file.\n", b->file);
  sb_printf(o, "// %s: %s\n", b->name, b->desc);
  sb_printf(o, "package %s_reg_pkg;\n\n", pkg);
  /* a user module takes only the names it needs; the rest must not fail -Wall lint */
  sb_printf(o, "  /* verilator lint_off UNUSEDPARAM */\n\n");
  if (b->space == SPACE_IO)
    sb_printf(o, "  // I/O space: each register parameter is a PC I/O port number.\n\n");
  else
    sb_printf(o, "  // Memory-mapped: each register parameter is a byte offset from %s_BASE.\n"
                 "  localparam logic [31:0] %s_BASE = 32'h%08X;\n\n",
              B, B, b->base);
  for (i = 0; i < b->nregs; i++) {
    const reg_t *r = &b->regs[i];
    upper(R, r->name);
    if (r->is_alias)
      sb_printf(o, "  // %s (alias of %s): %s\n", r->name, b->regs[r->target].name, r->desc);
    else
      sb_printf(o, "  // %s (%u-bit, %s): %s\n", r->name, r->width, access_table[r->acc].name,
                r->desc);
    sb_printf(o, "  localparam logic [%u:0] %s_%s = %u'h%0*X;\n", aw - 1, B, R, aw,
              (int)hex_digits(aw), r->offset);
    if (!r->is_alias)
      sb_printf(o, "  localparam logic [%u:0] %s_%s_RESET = %u'h%0*X;\n", r->width - 1, B, R,
                r->width, (int)hex_digits(r->width), r->reset);
    for (size_t j = 0; j < r->nfields; j++) {
      const field_t *f = &r->fields[j];
      unsigned w = f->msb - f->lsb + 1;
      upper(F, f->name);
      sb_printf(o, "  //   %s [%u:%u] %s: %s\n", f->name, f->msb, f->lsb,
                access_table[f->acc].name, f->desc);
      sb_printf(o, "  localparam int %s_%s_%s_LSB = %u;\n", B, R, F, f->lsb);
      sb_printf(o, "  localparam int %s_%s_%s_MSB = %u;\n", B, R, F, f->msb);
      sb_printf(o, "  localparam int %s_%s_%s_WIDTH = %u;\n", B, R, F, w);
      for (size_t k = 0; k < f->nvalues; k++) {
        const value_t *v = &f->values[k];
        upper(V, v->name);
        sb_printf(o, "  localparam logic [%u:0] %s_%s_%s_%s = %u'h%0*X;  // %s\n", w - 1, B, R,
                  F, V, w, (int)hex_digits(w), v->val, v->desc);
      }
    }
    sb_printf(o, "\n");
  }
  sb_printf(o, "  /* verilator lint_on UNUSEDPARAM */\n\nendpackage\n");
}

/* ------------------------------------------------------------------------------------------ */
/* Markdown */

static void md_bits(sbuf_t *o, unsigned msb, unsigned lsb) {
  if (msb == lsb)
    sb_printf(o, "%u", lsb);
  else
    sb_printf(o, "%u:%u", msb, lsb);
}

static void md_anchor(sbuf_t *o, const char *name) {
  for (; *name; name++) {
    char c = *name;
    sb_printf(o, "%c", (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
  }
}

static int cmp_field_lsb_desc(const void *a, const void *b) {
  const field_t *const *x = a, *const *y = b;
  return (int)(*y)->lsb - (int)(*x)->lsb;
}

/* a register or alias gets its own section when it has something to show */
static int md_has_section(const reg_t *r) { return !r->is_alias || r->nfields; }

static void md_fields(sbuf_t *o, const reg_t *r) {
  const field_t *sorted[32];
  size_t nf = 0;
  for (size_t j = 0; j < r->nfields && nf < 32; j++) sorted[nf++] = &r->fields[j];
  qsort(sorted, nf, sizeof sorted[0], cmp_field_lsb_desc);
  sb_printf(o, "\n| Bits | Field | Access | Reset | Description |\n"
               "|------|-------|--------|-------|-------------|\n");
  int top = (int)r->width - 1;
  for (size_t j = 0; j <= nf; j++) {
    int next_msb = j < nf ? (int)sorted[j]->msb : -1;
    if (top > next_msb) { /* bits no field describes */
      unsigned hi = (unsigned)top, lo = (unsigned)(next_msb + 1);
      sb_printf(o, "| ");
      md_bits(o, hi, lo);
      sb_printf(o, " | - | reserved | 0x%X | not implemented |\n",
                (r->reset >> lo) & mask_bits(hi - lo + 1));
    }
    if (j == nf) break;
    const field_t *f = sorted[j];
    sb_printf(o, "| ");
    md_bits(o, f->msb, f->lsb);
    sb_printf(o, " | %s | %s | 0x%X | ", f->name, access_table[f->acc].name, f->reset);
    sb_text_md(o, f->desc);
    sb_printf(o, " |\n");
    top = (int)f->lsb - 1;
  }
  for (size_t j = 0; j < r->nfields; j++) {
    const field_t *f = &r->fields[j];
    if (!f->nvalues) continue;
    unsigned w = f->msb - f->lsb + 1;
    sb_printf(o, "\n`%s` values:\n\n", f->name);
    for (size_t k = 0; k < f->nvalues; k++) {
      sb_printf(o, "- `0x%0*X` %s: ", (int)hex_digits(w), f->values[k].val, f->values[k].name);
      sb_text_md(o, f->values[k].desc);
      sb_printf(o, "\n");
    }
  }
}

static void gen_md(const block_t *b, sbuf_t *o) {
  int io = b->space == SPACE_IO;
  unsigned odig = io ? 2 : 3;
  sb_printf(o, "# %s registers\n\n", b->name);
  sb_printf(o, "<!-- Generated by regtool from %s. Do not edit: edit the .regs file and run "
               "`make gen-docs`. -->\n\n", b->file);
  sb_text_md(o, b->desc);
  sb_printf(o, "\n\n");
  if (io)
    sb_printf(o, "Space: PC I/O ports (8-bit ports; offsets are port numbers).\n\n");
  else
    sb_printf(o, "Space: memory-mapped, base address `0x%08X` (offsets are bytes from the "
                 "base).\n\n", b->base);
  sb_printf(o, "Access types: ");
  for (int i = 0; i < ACC_COUNT; i++)
    sb_printf(o, "%s`%s` %s", i ? "; " : "", access_table[i].name, access_table[i].meaning);
  sb_printf(o, ".\n\n## Register map\n\n");
  if (io)
    sb_printf(o, "| Port | Name | Width | Access | Reset | Description |\n"
                 "|------|------|-------|--------|-------|-------------|\n");
  else
    sb_printf(o, "| Offset | Address | Name | Width | Access | Reset | Description |\n"
                 "|--------|---------|------|-------|--------|-------|-------------|\n");
  /* map rows in address order; at one address, in file order */
  for (uint64_t from = 0;;) {
    uint64_t best = UINT64_MAX;
    for (size_t i = 0; i < b->nregs; i++)
      if (b->regs[i].offset >= from && b->regs[i].offset < best) best = b->regs[i].offset;
    if (best == UINT64_MAX) break;
    for (size_t i = 0; i < b->nregs; i++) {
      const reg_t *r = &b->regs[i];
      if (r->offset != best) continue;
      sb_printf(o, "| 0x%0*X | ", (int)odig, r->offset);
      if (!io) sb_printf(o, "0x%08X | ", (uint32_t)(b->base + r->offset));
      if (md_has_section(r)) {
        sb_printf(o, "[%s](#", r->name);
        md_anchor(o, r->name);
        sb_printf(o, ")");
      } else {
        sb_printf(o, "%s", r->name);
      }
      if (r->is_alias)
        sb_printf(o, " | %u | %s, alias of %s | | ", r->width, access_table[r->acc].name,
                  b->regs[r->target].name);
      else
        sb_printf(o, " | %u | %s | 0x%0*X | ", r->width, access_table[r->acc].name,
                  (int)hex_digits(r->width), r->reset);
      sb_text_md(o, r->desc);
      sb_printf(o, " |\n");
    }
    from = best + 1;
  }
  for (size_t i = 0; i < b->nregs; i++) {
    const reg_t *r = &b->regs[i];
    if (!md_has_section(r)) continue;
    sb_printf(o, "\n## %s\n\n", r->name);
    if (r->is_alias)
      sb_printf(o, "%s 0x%0*X, another name for %s, %u-bit, %s. ", io ? "Port" : "Offset",
                (int)odig, r->offset, b->regs[r->target].name, r->width,
                access_table[r->acc].name);
    else
      sb_printf(o, "%s 0x%0*X, %u-bit, %s, reset 0x%0*X. ", io ? "Port" : "Offset", (int)odig,
                r->offset, r->width, access_table[r->acc].name, (int)hex_digits(r->width),
                r->reset);
    sb_text_md(o, r->desc);
    sb_printf(o, "\n");
    for (size_t k = 0; k < b->nregs; k++) {
      const reg_t *a = &b->regs[k];
      if (k == i || a->offset != r->offset || (!a->is_alias && !r->is_alias)) continue;
      if (r->is_alias && a->is_alias) continue;
      sb_printf(o, "\n`%s` also names this %s: ", a->name, io ? "port" : "offset");
      sb_text_md(o, a->desc);
      sb_printf(o, "\n");
    }
    if (r->nfields) md_fields(o, r);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Atomic output */

static int write_atomic(const char *path, const sbuf_t *sb) {
  if (strcmp(path, "-") == 0) {
    if (fwrite(sb->p, 1, sb->n, stdout) != sb->n || fflush(stdout) != 0) {
      fprintf(stderr, "regtool: error: writing standard output: %s\n", strerror(errno));
      return -1;
    }
    return 0;
  }
  size_t n = strlen(path);
  char *tmp = malloc(n + 16);
  if (!tmp) {
    fprintf(stderr, "regtool: error: out of memory\n");
    return -1;
  }
  snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    fprintf(stderr, "regtool: error: cannot create a temporary file beside %s: %s\n", path,
            strerror(errno));
    free(tmp);
    return -1;
  }
  int ok = fchmod(fd, 0644) == 0;
  size_t off = 0;
  while (ok && off < sb->n) {
    ssize_t k = write(fd, sb->p + off, sb->n - off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0)
      ok = 0;
    else
      off += (size_t)k;
  }
  int saved = errno;
  if (close(fd) != 0) ok = 0;
  if (ok && rename(tmp, path) != 0) ok = 0;
  if (!ok) {
    if (!saved) saved = errno;
    fprintf(stderr, "regtool: error: writing %s: %s\n", path, strerror(saved ? saved : errno));
    unlink(tmp);
    free(tmp);
    return -1;
  }
  free(tmp);
  return 0;
}

/* ------------------------------------------------------------------------------------------ */

typedef enum { OUT_C, OUT_SV, OUT_MD, OUT_COUNT } out_kind_t;

static void usage(FILE *fp) {
  fprintf(fp,
          "usage: regtool [--c OUT.h] [--sv OUT.sv] [--md OUT.md] FILE.regs\n"
          "       regtool --check FILE.regs\n"
          "Generates a block's C header, SystemVerilog package and Markdown register docs\n"
          "from its register description (see docs/regtool.md). OUT may be '-' (stdout).\n");
}

int main(int argc, char **argv) {
  const char *out[OUT_COUNT] = {NULL, NULL, NULL};
  const char *in = NULL;
  int check = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int k = -1;
    if (strcmp(a, "--c") == 0)
      k = OUT_C;
    else if (strcmp(a, "--sv") == 0)
      k = OUT_SV;
    else if (strcmp(a, "--md") == 0)
      k = OUT_MD;
    if (k >= 0) {
      if (i + 1 >= argc || out[k]) {
        fprintf(stderr, "regtool: %s needs one output file name\n", a);
        usage(stderr);
        return 2;
      }
      out[k] = argv[++i];
    } else if (strcmp(a, "--check") == 0) {
      check = 1;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "regtool: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    } else if (in) {
      fprintf(stderr, "regtool: more than one input file ('%s' and '%s')\n", in, a);
      return 2;
    } else {
      in = a;
    }
  }
  if (!in || (!check && !out[OUT_C] && !out[OUT_SV] && !out[OUT_MD])) {
    usage(stderr);
    return 2;
  }

  block_t b;
  memset(&b, 0, sizeof b);
  b.path = in;
  const char *slash = strrchr(in, '/');
  b.file = slash ? slash + 1 : in;
  FILE *fp = strcmp(in, "-") == 0 ? stdin : fopen(in, "rb");
  if (!fp) {
    fprintf(stderr, "%s: error: cannot open: %s\n", in, strerror(errno));
    return 1;
  }
  int rc = parse_file(&b, fp);
  if (fp != stdin) fclose(fp);
  if (rc == 0 && b.errors == 0) check_block(&b);
  if (b.errors == 0 && !b.oom) check_names(&b);
  if (b.oom) {
    fprintf(stderr, "%s: error: out of memory\n", in);
    block_free(&b);
    return 1;
  }
  if (b.errors) {
    if (b.errors > MAX_ERRORS) b.errors = MAX_ERRORS;
    fprintf(stderr, "%s: %u error%s\n", in, b.errors, b.errors == 1 ? "" : "s");
    block_free(&b);
    return 1;
  }

  int status = 0;
  for (int k = 0; k < OUT_COUNT; k++) {
    if (!out[k]) continue;
    sbuf_t sb = {NULL, 0, 0, 0};
    if (k == OUT_C)
      gen_c(&b, &sb);
    else if (k == OUT_SV)
      gen_sv(&b, &sb);
    else
      gen_md(&b, &sb);
    if (sb.oom) {
      fprintf(stderr, "regtool: error: out of memory generating %s\n", out[k]);
      status = 3;
    } else if (write_atomic(out[k], &sb) != 0) {
      status = 3;
    }
    free(sb.p);
  }
  block_free(&b);
  return status;
}
