/*
 * cel_parse - CEL source to an AST: a lexer and a recursive-descent
 * parser following cel-spec's grammar (langdef.md), with its precedence
 * (?: < || < && < relations < + - < * / % < unary < member), its macros
 * expanded into macro nodes, and cel-go's limits (100,000 code points,
 * nesting 250 deep) so no source can exhaust the stack. Names are
 * resolved when parsing: an identifier that is not a variable, a macro
 * variable in scope or a type name is "undeclared reference", as
 * cel-go's checker says.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/schema_pattern.h"
#include "cel/cel_int.h"

enum tok {
  T_EOF, T_INT, T_UINT, T_DOUBLE, T_STRING, T_BYTES, T_IDENT, T_TRUE,
  T_FALSE, T_NULL, T_IN, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_LBRACE,
  T_RBRACE, T_DOT, T_QDOT, T_QLBRACK, T_COMMA, T_COLON, T_QUESTION, T_OR,
  T_AND, T_NOT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_STAR,
  T_SLASH, T_PERCENT, T_BAD, T_QIDENT
};

struct token {
  enum tok t;
  int pos;
  uint64_t u;  /* T_INT / T_UINT magnitude */
  double d;
  char *s;     /* T_STRING / T_BYTES decoded (owned by the program) */
  size_t n;
  const char *id; /* T_IDENT: points into src */
  size_t id_len;
};

struct scope {
  const char *name;
  const struct scope *up;
};

struct parser {
  const char *src;
  size_t len;
  size_t at;        /* lexer position */
  struct token tok; /* current token */
  struct token prev;
  struct cp_cel_program *p;
  const char *const *vars;
  const struct scope *locals;
  int depth;
  char *err;
};

static const char *reserved[] = {"as", "break", "const", "continue", "else",
                                 "for", "function", "if", "import", "let",
                                 "loop", "package", "namespace", "return",
                                 "var", "void", "while", NULL};

static const char *type_idents[] = {"int", "uint", "double", "bool",
                                    "string", "bytes", "list", "map",
                                    "null_type", "type", "optional_type",
                                    NULL};

/* ------------------------------------------------------------ errors */

static void fail(struct parser *ps, int pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* cel-go's form: "ERROR: <input>:LINE:COL: msg\n | line\n | ...^". */
char *cel_error_text(const char *src, int pos, const char *msg) {
  char *out = NULL, *dots;
  int line = 1, col, ls = 0, le, i, len = (int)strlen(src);

  if (pos < 0)
    pos = 0;
  if (pos > len)
    pos = len;
  for (i = 0; i < pos; i++)
    if (src[i] == '\n') {
      line++;
      ls = i + 1;
    }
  col = pos - ls;
  for (le = ls; le < len && src[le] != '\n'; le++)
    ;
  if ((dots = malloc((size_t)col + 1)) == NULL)
    return NULL;
  memset(dots, '.', (size_t)col);
  dots[col] = '\0';
  if (asprintf(&out, "ERROR: <input>:%d:%d: %s\n | %.*s\n | %s^", line,
               col + 1, msg, le - ls, src + ls, dots) < 0)
    out = NULL;
  free(dots);
  return out;
}

static void fail(struct parser *ps, int pos, const char *fmt, ...) {
  va_list ap;
  char *msg = NULL, *out = NULL;

  if (ps->err != NULL)
    return;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (msg != NULL)
    out = cel_error_text(ps->src, pos, msg);
  free(msg);
  ps->err = out != NULL ? out : strdup("out of memory");
}

/* ------------------------------------------------------------ program */

static int keep_str(struct parser *ps, char *s) {
  struct cp_cel_program *p = ps->p;

  if (s == NULL)
    return -1;
  if (p->n_strs == p->cap_strs) {
    size_t cap = p->cap_strs ? p->cap_strs * 2 : 16;
    char **n = realloc(p->strs, cap * sizeof *n);

    if (n == NULL) {
      free(s);
      return -1;
    }
    p->strs = n;
    p->cap_strs = cap;
  }
  p->strs[p->n_strs++] = s;
  return 0;
}

static struct cel_node *node(struct parser *ps, enum cel_node_kind k,
                             int pos) {
  struct cp_cel_program *p = ps->p;
  struct cel_node *n;

  if (p->n_nodes == p->cap_nodes) {
    size_t cap = p->cap_nodes ? p->cap_nodes * 2 : 32;
    struct cel_node **a = realloc(p->nodes, cap * sizeof *a);

    if (a == NULL) {
      fail(ps, pos, "out of memory");
      return NULL;
    }
    p->nodes = a;
    p->cap_nodes = cap;
  }
  if ((n = calloc(1, sizeof *n)) == NULL) {
    fail(ps, pos, "out of memory");
    return NULL;
  }
  p->nodes[p->n_nodes++] = n;
  n->k = k;
  n->pos = pos;
  return n;
}

static int add_arg(struct parser *ps, struct cel_node *n, struct cel_node *a,
                   int opt) {
  struct cel_node **args;
  int *flags;

  if (a == NULL)
    return -1;
  if ((args = realloc(n->args, (n->n_args + 1) * sizeof *args)) == NULL) {
    fail(ps, a->pos, "out of memory");
    return -1;
  }
  n->args = args;
  if ((flags = realloc(n->opt_flags, (n->n_args + 1) * sizeof *flags)) ==
      NULL) {
    fail(ps, a->pos, "out of memory");
    return -1;
  }
  n->opt_flags = flags;
  flags[n->n_args] = opt;
  args[n->n_args++] = a;
  return 0;
}

void cp_cel_program_free(struct cp_cel_program *p) {
  size_t i;

  if (p == NULL)
    return;
  for (i = 0; i < p->n_nodes; i++) {
    cp_pattern_free(p->nodes[i]->re);
    free(p->nodes[i]->args);
    free(p->nodes[i]->opt_flags);
    free(p->nodes[i]);
  }
  for (i = 0; i < p->n_strs; i++)
    free(p->strs[i]);
  free(p->nodes);
  free(p->strs);
  free(p->src);
  free(p);
}

/* ------------------------------------------------------------ lexer */

static int is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void put_utf8(char *out, size_t *n, uint32_t cp) {
  if (cp < 0x80) {
    out[(*n)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*n)++] = (char)(0xC0 | (cp >> 6));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out[(*n)++] = (char)(0xE0 | (cp >> 12));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*n)++] = (char)(0xF0 | (cp >> 18));
    out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  }
}

/* One escape after the backslash at s[*i]; appends to out. -1 when bad. */
static int lex_escape(const char *s, size_t len, size_t *i, int bytes,
                      char *out, size_t *n) {
  char c = s[*i];
  uint32_t cp = 0;
  int k, digits = 0, base = 16;

  (*i)++;
  switch (c) {
  case 'a': out[(*n)++] = '\a'; return 0;
  case 'b': out[(*n)++] = '\b'; return 0;
  case 'f': out[(*n)++] = '\f'; return 0;
  case 'n': out[(*n)++] = '\n'; return 0;
  case 'r': out[(*n)++] = '\r'; return 0;
  case 't': out[(*n)++] = '\t'; return 0;
  case 'v': out[(*n)++] = '\v'; return 0;
  case '\\': case '\'': case '"': case '`': case '?':
    out[(*n)++] = c;
    return 0;
  case 'x': case 'X': digits = 2; break;
  case 'u': digits = bytes ? -1 : 4; break;
  case 'U': digits = bytes ? -1 : 8; break;
  default:
    if (c >= '0' && c <= '3') {
      digits = 2;
      base = 8;
      cp = (uint32_t)(c - '0');
      break;
    }
    return -1;
  }
  if (digits < 0)
    return -1;
  for (k = 0; k < digits; k++) {
    int h = *i < len ? hexval(s[*i]) : -1;

    if (h < 0 || h >= base)
      return -1;
    cp = cp * (uint32_t)base + (uint32_t)h;
    (*i)++;
  }
  if (bytes) {
    out[(*n)++] = (char)cp;
    return 0;
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
    return -1;
  put_utf8(out, n, cp);
  return 0;
}

static int lex_string(struct parser *ps, size_t start, int raw, int bytes) {
  const char *s = ps->src;
  size_t i = ps->at, n = 0;
  char q = s[i];
  int triple = i + 2 < ps->len && s[i + 1] == q && s[i + 2] == q;
  char *out;

  i += triple ? 3 : 1;
  if ((out = malloc(ps->len - i + 1)) == NULL) {
    fail(ps, (int)start, "out of memory");
    return -1;
  }
  for (;;) {
    if (i >= ps->len || (!triple && (s[i] == '\n' || s[i] == '\r'))) {
      free(out);
      fail(ps, (int)start, "Syntax error: token recognition error at: '%.*s'",
           (int)(i - start > 40 ? 40 : i - start), s + start);
      return -1;
    }
    if (s[i] == q &&
        (!triple || (i + 2 < ps->len && s[i + 1] == q && s[i + 2] == q))) {
      i += triple ? 3 : 1;
      break;
    }
    if (s[i] == '\\' && !raw) {
      size_t at = i;

      i++;
      if (i >= ps->len || lex_escape(s, ps->len, &i, bytes, out, &n) < 0) {
        free(out);
        fail(ps, (int)at, "Syntax error: token recognition error at: '%.*s'",
             (int)(i - at > 10 ? 10 : i - at), s + at);
        return -1;
      }
      continue;
    }
    out[n++] = s[i++];
  }
  out[n] = '\0';
  if (keep_str(ps, out) < 0) {
    fail(ps, (int)start, "out of memory");
    return -1;
  }
  ps->tok.t = bytes ? T_BYTES : T_STRING;
  ps->tok.s = out;
  ps->tok.n = n;
  ps->at = i;
  return 0;
}

static void lex_number(struct parser *ps) {
  const char *s = ps->src;
  size_t i = ps->at, start = i;
  int is_float = 0;
  char buf[128];

  if (s[i] == '0' && i + 1 < ps->len && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    uint64_t v = 0;
    int over = 0;

    i += 2;
    if (i >= ps->len || hexval(s[i]) < 0) {
      fail(ps, (int)start, "Syntax error: token recognition error at: '0x'");
      return;
    }
    for (; i < ps->len && hexval(s[i]) >= 0; i++) {
      if (v >> 60)
        over = 1;
      v = v * 16 + (uint64_t)hexval(s[i]);
    }
    ps->tok.t = T_INT;
    if (i < ps->len && (s[i] == 'u' || s[i] == 'U')) {
      ps->tok.t = T_UINT;
      i++;
    }
    if (over) {
      fail(ps, (int)start, "invalid %s literal", ps->tok.t == T_UINT
                                                     ? "uint" : "int");
      return;
    }
    ps->tok.u = v;
    ps->at = i;
    return;
  }
  while (i < ps->len && is_digit(s[i]))
    i++;
  if (i + 1 < ps->len && s[i] == '.' && is_digit(s[i + 1])) {
    is_float = 1;
    i++;
    while (i < ps->len && is_digit(s[i]))
      i++;
  }
  if (i < ps->len && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;

    if (j < ps->len && (s[j] == '+' || s[j] == '-'))
      j++;
    if (j < ps->len && is_digit(s[j])) {
      is_float = 1;
      i = j;
      while (i < ps->len && is_digit(s[i]))
        i++;
    }
  }
  if (i - start >= sizeof buf) {
    fail(ps, (int)start, "Syntax error: number literal too long");
    return;
  }
  memcpy(buf, s + start, i - start);
  buf[i - start] = '\0';
  if (is_float) {
    ps->tok.t = T_DOUBLE;
    ps->tok.d = strtod(buf, NULL);
    ps->at = i;
    return;
  }
  errno = 0;
  ps->tok.u = strtoull(buf, NULL, 10);
  ps->tok.t = T_INT;
  if (i < ps->len && (s[i] == 'u' || s[i] == 'U')) {
    ps->tok.t = T_UINT;
    i++;
  }
  if (errno == ERANGE) {
    fail(ps, (int)start, "invalid %s literal",
         ps->tok.t == T_UINT ? "uint" : "int");
    return;
  }
  ps->at = i;
}

static int two(struct parser *ps, char a, char b) {
  return ps->src[ps->at] == a && ps->at + 1 < ps->len &&
         ps->src[ps->at + 1] == b;
}

static void next(struct parser *ps) {
  const char *s = ps->src;
  static const struct { const char *txt; enum tok t; } ops[] = {
      {"||", T_OR}, {"&&", T_AND}, {"==", T_EQ}, {"!=", T_NE},
      {"<=", T_LE}, {">=", T_GE},  {".?", T_QDOT}, {"[?", T_QLBRACK},
      {"(", T_LPAREN}, {")", T_RPAREN}, {"[", T_LBRACK}, {"]", T_RBRACK},
      {"{", T_LBRACE}, {"}", T_RBRACE}, {".", T_DOT}, {",", T_COMMA},
      {":", T_COLON}, {"?", T_QUESTION}, {"!", T_NOT}, {"<", T_LT},
      {">", T_GT}, {"+", T_PLUS}, {"-", T_MINUS}, {"*", T_STAR},
      {"/", T_SLASH}, {"%", T_PERCENT}};
  size_t k;

  ps->prev = ps->tok;
  memset(&ps->tok, 0, sizeof ps->tok);
  for (;;) {
    while (ps->at < ps->len && (s[ps->at] == ' ' || s[ps->at] == '\t' ||
                                s[ps->at] == '\n' || s[ps->at] == '\r' ||
                                s[ps->at] == '\f'))
      ps->at++;
    if (two(ps, '/', '/')) {
      while (ps->at < ps->len && s[ps->at] != '\n')
        ps->at++;
      continue;
    }
    break;
  }
  ps->tok.pos = (int)ps->at;
  if (ps->at >= ps->len) {
    ps->tok.t = T_EOF;
    return;
  }
  if (is_digit(s[ps->at]) ||
      (s[ps->at] == '.' && ps->at + 1 < ps->len && is_digit(s[ps->at + 1]) &&
       ps->prev.t != T_IDENT && ps->prev.t != T_RPAREN &&
       ps->prev.t != T_RBRACK)) {
    lex_number(ps);
    if (ps->err != NULL)
      ps->tok.t = T_BAD;
    return;
  }
  if (s[ps->at] == '"' || s[ps->at] == '\'') {
    if (lex_string(ps, ps->at, 0, 0) < 0)
      ps->tok.t = T_BAD;
    return;
  }
  if (s[ps->at] == '`') { /* a quoted field name: a.`content-type` */
    size_t st = ps->at + 1, e = st;

    while (e < ps->len && s[e] != '`' && s[e] != '\n')
      e++;
    if (e >= ps->len || s[e] != '`' || e == st) {
      fail(ps, (int)ps->at, "Syntax error: token recognition error at: '`'");
      ps->tok.t = T_BAD;
      return;
    }
    ps->tok.t = T_QIDENT;
    ps->tok.id = s + st;
    ps->tok.id_len = e - st;
    ps->at = e + 1;
    return;
  }
  if (is_ident_start(s[ps->at])) {
    size_t st = ps->at, e = st;
    int raw = 0, bytes = 0;

    /* String prefixes: r, b, rb, br in any case. */
    while (e < ps->len && e - st < 2 &&
           (s[e] == 'r' || s[e] == 'R' || s[e] == 'b' || s[e] == 'B')) {
      if (s[e] == 'r' || s[e] == 'R')
        raw++;
      else
        bytes++;
      e++;
    }
    if (e < ps->len && (s[e] == '"' || s[e] == '\'') && raw <= 1 &&
        bytes <= 1) {
      ps->at = e;
      if (lex_string(ps, st, raw, bytes) < 0)
        ps->tok.t = T_BAD;
      return;
    }
    e = st;
    while (e < ps->len && (is_ident_start(s[e]) || is_digit(s[e])))
      e++;
    ps->tok.id = s + st;
    ps->tok.id_len = e - st;
    ps->at = e;
    ps->tok.t = T_IDENT;
    if (e - st == 4 && memcmp(s + st, "true", 4) == 0)
      ps->tok.t = T_TRUE;
    else if (e - st == 5 && memcmp(s + st, "false", 5) == 0)
      ps->tok.t = T_FALSE;
    else if (e - st == 4 && memcmp(s + st, "null", 4) == 0)
      ps->tok.t = T_NULL;
    else if (e - st == 2 && memcmp(s + st, "in", 2) == 0)
      ps->tok.t = T_IN;
    return;
  }
  for (k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    size_t l = strlen(ops[k].txt);

    if (ps->at + l <= ps->len && memcmp(s + ps->at, ops[k].txt, l) == 0) {
      ps->tok.t = ops[k].t;
      ps->at += l;
      return;
    }
  }
  fail(ps, (int)ps->at, "Syntax error: token recognition error at: '%c'",
       s[ps->at]);
  ps->tok.t = T_BAD;
}

/* ------------------------------------------------------------ parser */

static const char *tok_text(enum tok t) {
  static const char *names[] = {
      "'<EOF>'", "int", "uint", "double", "string", "bytes", "identifier",
      "'true'", "'false'", "'null'", "'in'", "'('", "')'", "'['", "']'",
      "'{'", "'}'", "'.'", "'.?'", "'[?'", "','", "':'", "'?'", "'||'",
      "'&&'", "'!'", "'=='", "'!='", "'<'", "'<='", "'>'", "'>='", "'+'",
      "'-'", "'*'", "'/'", "'%'", "?", "quoted identifier"};

  return names[t];
}

static void unexpected(struct parser *ps, const char *want) {
  if (ps->tok.t == T_IDENT)
    fail(ps, ps->tok.pos, "Syntax error: mismatched input '%.*s' expecting %s",
         (int)ps->tok.id_len, ps->tok.id, want);
  else
    fail(ps, ps->tok.pos, "Syntax error: mismatched input %s expecting %s",
         tok_text(ps->tok.t), want);
}

static int expect(struct parser *ps, enum tok t) {
  if (ps->err != NULL)
    return -1;
  if (ps->tok.t != t) {
    unexpected(ps, tok_text(t));
    return -1;
  }
  next(ps);
  return 0;
}

static char *ident_dup(struct parser *ps, const char *p, size_t n) {
  char *s = strndup(p, n);

  if (keep_str(ps, s) < 0) {
    fail(ps, ps->tok.pos, "out of memory");
    return NULL;
  }
  return s;
}

static struct cel_node *expr(struct parser *ps);

static int enter(struct parser *ps) {
  if (++ps->depth > CP_CEL_MAX_DEPTH) {
    fail(ps, ps->tok.pos, "expression recursion limit exceeded: %d",
         CP_CEL_MAX_DEPTH);
    return -1;
  }
  return 0;
}

static int is_var(struct parser *ps, const char *name) {
  const struct scope *sc;
  size_t i;

  for (sc = ps->locals; sc != NULL; sc = sc->up)
    if (strcmp(sc->name, name) == 0)
      return 1;
  for (i = 0; ps->vars != NULL && ps->vars[i] != NULL; i++)
    if (strcmp(ps->vars[i], name) == 0)
      return 1;
  for (i = 0; type_idents[i] != NULL; i++)
    if (strcmp(type_idents[i], name) == 0)
      return 1;
  return 0;
}

/* matches/find/findAll with a literal pattern: compiled once, with the
 * program, and refused now when it is not a valid RE2 pattern. */
static int literal_regex(struct parser *ps, struct cel_node *call) {
  const struct cel_node *a;
  char *text, *err = NULL;
  size_t at = call->target != NULL ? 0 : 1;

  if ((strcmp(call->name, "matches") != 0 && strcmp(call->name, "find") != 0 &&
       strcmp(call->name, "findAll") != 0) || call->n_args <= at)
    return 0;
  a = call->args[at];
  if (a->k != N_LIT || a->lit.k != K_STRING)
    return 0;
  if ((text = strndup(a->lit.v.s.p, a->lit.v.s.n)) == NULL) {
    fail(ps, a->pos, "out of memory");
    return -1;
  }
  call->re = cp_pattern_compile(text, &err);
  free(text);
  if (call->re == NULL) {
    fail(ps, a->pos, "invalid matches argument: %s",
         err ? err : "out of memory");
    free(err);
    return -1;
  }
  return 0;
}

/* Arguments after '(' up to ')'. */
static int call_args(struct parser *ps, struct cel_node *call) {
  if (ps->tok.t == T_RPAREN)
    return expect(ps, T_RPAREN);
  for (;;) {
    if (add_arg(ps, call, expr(ps), 0) < 0)
      return -1;
    if (ps->tok.t == T_COMMA) {
      next(ps);
      continue;
    }
    return expect(ps, T_RPAREN);
  }
}

static const char *macro_names[] = {"all", "exists", "exists_one", "map",
                                    "filter", NULL};

/* target.macro(var, ...): the variable is in scope only in the body. */
static struct cel_node *macro(struct parser *ps, struct cel_node *target,
                              enum cel_macro m, int pos) {
  struct cel_node *n = node(ps, N_MACRO, pos);
  struct scope sc;

  if (n == NULL)
    return NULL;
  n->macro = m;
  n->target = target;
  if (ps->tok.t != T_IDENT) {
    fail(ps, ps->tok.pos, "argument must be a simple name");
    return NULL;
  }
  if ((n->name = ident_dup(ps, ps->tok.id, ps->tok.id_len)) == NULL)
    return NULL;
  next(ps);
  if (expect(ps, T_COMMA) < 0)
    return NULL;
  sc.name = n->name;
  sc.up = ps->locals;
  ps->locals = &sc;
  if (add_arg(ps, n, expr(ps), 0) < 0)
    goto fail;
  if (ps->tok.t == T_COMMA && m == M_MAP) {
    next(ps);
    if (add_arg(ps, n, expr(ps), 0) < 0)
      goto fail;
  }
  ps->locals = sc.up;
  if (expect(ps, T_RPAREN) < 0)
    return NULL;
  return n;
fail:
  ps->locals = sc.up;
  return NULL;
}

/* Names that prefix global functions (optional.of, strings.quote). */
static int is_namespace(const char *name) {
  static const char *const ns[] = {"optional", "strings", "sets", "math",
                                   "base64", "cel", "ip", "net", NULL};
  size_t i;

  for (i = 0; ns[i] != NULL; i++)
    if (strcmp(ns[i], name) == 0)
      return 1;
  return 0;
}

/* cel.bind(var, init, body), after "cel.bind(". */
static struct cel_node *bind(struct parser *ps, int pos) {
  struct cel_node *n = node(ps, N_MACRO, pos);
  struct scope sc;

  if (n == NULL)
    return NULL;
  n->macro = M_BIND;
  if (ps->tok.t != T_IDENT) {
    fail(ps, ps->tok.pos, "cel.bind() variable name must be a simple "
                          "identifier");
    return NULL;
  }
  if ((n->name = ident_dup(ps, ps->tok.id, ps->tok.id_len)) == NULL)
    return NULL;
  next(ps);
  if (expect(ps, T_COMMA) < 0 || (n->target = expr(ps)) == NULL ||
      expect(ps, T_COMMA) < 0)
    return NULL;
  sc.name = n->name;
  sc.up = ps->locals;
  ps->locals = &sc;
  if (add_arg(ps, n, expr(ps), 0) < 0) {
    ps->locals = sc.up;
    return NULL;
  }
  ps->locals = sc.up;
  return expect(ps, T_RPAREN) < 0 ? NULL : n;
}

static struct cel_node *member_call(struct parser *ps, struct cel_node *t,
                                    const char *name, int pos) {
  struct cel_node *n;
  size_t i;

  for (i = 0; macro_names[i] != NULL; i++)
    if (strcmp(name, macro_names[i]) == 0)
      return macro(ps, t, (enum cel_macro)i, pos);
  /* cel-go's optional macros: opt.optMap(x, expr), opt.optFlatMap(x,
   * expr), x bound to the optional's value. */
  if (strcmp(name, "optMap") == 0)
    return macro(ps, t, M_OPT_MAP, pos);
  if (strcmp(name, "optFlatMap") == 0)
    return macro(ps, t, M_OPT_FLAT_MAP, pos);
  /* cel.bind(var, init, body): init evaluated once, var in scope in
   * body only. */
  if (t->k == N_IDENT && strcmp(t->name, "cel") == 0 && !is_var(ps, "cel") &&
      strcmp(name, "bind") == 0)
    return bind(ps, pos);
  /* optional.of(x), strings.quote(s)...: a namespaced global. */
  if (t->k == N_IDENT && is_namespace(t->name) && !is_var(ps, t->name)) {
    char *full = NULL;

    if (asprintf(&full, "%s.%s", t->name, name) < 0 ||
        keep_str(ps, full) < 0) {
      fail(ps, pos, "out of memory");
      return NULL;
    }
    if (!cel_function_known(full, 0)) {
      fail(ps, pos, "undeclared reference to '%s' (in container '')", full);
      return NULL;
    }
    if ((n = node(ps, N_CALL, pos)) == NULL)
      return NULL;
    n->name = full;
    return call_args(ps, n) < 0 ? NULL : n;
  }
  if (!cel_function_known(name, 1)) {
    fail(ps, pos, "undeclared reference to '%s' (in container '')", name);
    return NULL;
  }
  if ((n = node(ps, N_CALL, pos)) == NULL)
    return NULL;
  n->target = t;
  if ((n->name = ident_dup(ps, name, strlen(name))) == NULL)
    return NULL;
  return call_args(ps, n) < 0 || literal_regex(ps, n) < 0 ? NULL : n;
}

static struct cel_node *global_call(struct parser *ps, const char *name,
                                    int pos) {
  struct cel_node *n, *a;

  if (strcmp(name, "has") == 0) {
    if ((n = node(ps, N_HAS, pos)) == NULL ||
        (a = expr(ps)) == NULL || expect(ps, T_RPAREN) < 0)
      return NULL;
    if (a->k != N_SELECT) {
      fail(ps, pos, "invalid argument to has() macro");
      return NULL;
    }
    n->target = a;
    return n;
  }
  if (!cel_function_known(name, 0)) {
    fail(ps, pos, "undeclared reference to '%s' (in container '')", name);
    return NULL;
  }
  if ((n = node(ps, N_CALL, pos)) == NULL)
    return NULL;
  if ((n->name = ident_dup(ps, name, strlen(name))) == NULL)
    return NULL;
  return call_args(ps, n) < 0 || literal_regex(ps, n) < 0 ? NULL : n;
}

static struct cel_node *literal(struct parser *ps) {
  struct cel_node *n = node(ps, N_LIT, ps->tok.pos);

  if (n == NULL)
    return NULL;
  switch (ps->tok.t) {
  case T_INT:
    if (ps->tok.u > (uint64_t)INT64_MAX) {
      fail(ps, ps->tok.pos, "invalid int literal");
      return NULL;
    }
    n->lit = cel_int((int64_t)ps->tok.u);
    break;
  case T_UINT: n->lit = cel_uint(ps->tok.u); break;
  case T_DOUBLE: n->lit = cel_double(ps->tok.d); break;
  case T_STRING: n->lit = cel_str(ps->tok.s, ps->tok.n); break;
  case T_BYTES: n->lit = cel_bytes(ps->tok.s, ps->tok.n); break;
  case T_TRUE: n->lit = cel_bool(1); break;
  case T_FALSE: n->lit = cel_bool(0); break;
  default: n->lit = cel_null(); break;
  }
  next(ps);
  return n;
}

static struct cel_node *list_or_map(struct parser *ps, int is_map) {
  struct cel_node *n = node(ps, is_map ? N_MAP : N_LIST, ps->tok.pos);
  enum tok close = is_map ? T_RBRACE : T_RBRACK;
  int first_opt = ps->tok.t == T_QLBRACK; /* "[?x, ...]" */

  if (n == NULL)
    return NULL;
  next(ps);
  while (ps->tok.t != close || first_opt) {
    int opt = first_opt;

    first_opt = 0;
    if (ps->tok.t == T_QUESTION) {
      opt = 1;
      next(ps);
    }
    if (add_arg(ps, n, expr(ps), opt) < 0)
      return NULL;
    if (is_map && (expect(ps, T_COLON) < 0 ||
                   add_arg(ps, n, expr(ps), opt) < 0))
      return NULL;
    if (ps->tok.t != T_COMMA)
      break;
    next(ps);
  }
  if (expect(ps, close) < 0)
    return NULL;
  return n;
}

static struct cel_node *primary(struct parser *ps) {
  struct cel_node *n;
  char *name;
  int pos = ps->tok.pos;

  switch (ps->tok.t) {
  case T_INT: case T_UINT: case T_DOUBLE: case T_STRING: case T_BYTES:
  case T_TRUE: case T_FALSE: case T_NULL:
    return literal(ps);
  case T_LPAREN:
    next(ps);
    n = expr(ps);
    return expect(ps, T_RPAREN) < 0 ? NULL : n;
  case T_LBRACK: case T_QLBRACK:
    return list_or_map(ps, 0);
  case T_LBRACE:
    return list_or_map(ps, 1);
  case T_DOT:
    next(ps);
    if (ps->tok.t != T_IDENT) {
      unexpected(ps, "IDENTIFIER");
      return NULL;
    }
    pos = ps->tok.pos;
    /* fall through */
  case T_IDENT:
    if ((name = ident_dup(ps, ps->tok.id, ps->tok.id_len)) == NULL)
      return NULL;
    {
      size_t i;

      for (i = 0; reserved[i] != NULL; i++)
        if (strcmp(name, reserved[i]) == 0) {
          fail(ps, pos, "reserved identifier: %s", name);
          return NULL;
        }
    }
    next(ps);
    if (ps->tok.t == T_LPAREN) {
      next(ps);
      return global_call(ps, name, pos);
    }
    /* A namespace (optional.of, strings.quote) is checked at the call. */
    if (!is_var(ps, name) && !(is_namespace(name) && ps->tok.t == T_DOT)) {
      fail(ps, pos, "undeclared reference to '%s' (in container '')", name);
      return NULL;
    }
    if ((n = node(ps, N_IDENT, pos)) == NULL)
      return NULL;
    n->name = name;
    return n;
  default:
    if (ps->err == NULL)
      unexpected(ps, "{'[', '{', '(', '.', '-', '!', 'true', 'false', "
                     "'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, "
                     "IDENTIFIER}");
    return NULL;
  }
}

static struct cel_node *member(struct parser *ps) {
  struct cel_node *n = primary(ps), *m;

  while (n != NULL && ps->err == NULL) {
    int pos = ps->tok.pos;

    if (ps->tok.t == T_DOT || ps->tok.t == T_QDOT) {
      int opt = ps->tok.t == T_QDOT, quoted;
      char *name;

      next(ps);
      if (ps->tok.t != T_IDENT && ps->tok.t != T_QIDENT) {
        unexpected(ps, "IDENTIFIER");
        return NULL;
      }
      quoted = ps->tok.t == T_QIDENT;
      if ((name = ident_dup(ps, ps->tok.id, ps->tok.id_len)) == NULL)
        return NULL;
      next(ps);
      if (!opt && !quoted && ps->tok.t == T_LPAREN) {
        next(ps);
        n = member_call(ps, n, name, pos);
        continue;
      }
      /* kube's type names net.IP and net.CIDR (`type(x) == net.IP`). */
      if (n->k == N_IDENT && strcmp(n->name, "net") == 0 && !opt &&
          !is_var(ps, "net") &&
          (strcmp(name, "IP") == 0 || strcmp(name, "CIDR") == 0)) {
        char *full = NULL;

        if (asprintf(&full, "net.%s", name) < 0 || keep_str(ps, full) < 0) {
          fail(ps, pos, "out of memory");
          return NULL;
        }
        n->name = full;
        continue;
      }
      if ((m = node(ps, N_SELECT, pos)) == NULL)
        return NULL;
      m->target = n;
      m->name = name;
      m->optional = opt;
      n = m;
      continue;
    }
    if (ps->tok.t == T_LBRACK || ps->tok.t == T_QLBRACK) {
      int opt = ps->tok.t == T_QLBRACK;

      next(ps);
      if ((m = node(ps, N_INDEX, pos)) == NULL)
        return NULL;
      m->target = n;
      m->optional = opt;
      if (add_arg(ps, m, expr(ps), 0) < 0 || expect(ps, T_RBRACK) < 0)
        return NULL;
      n = m;
      continue;
    }
    break;
  }
  return ps->err != NULL ? NULL : n;
}

static struct cel_node *unary(struct parser *ps) {
  struct cel_node *n;
  int pos = ps->tok.pos;

  if (ps->err != NULL || enter(ps) < 0)
    return NULL;
  if (ps->tok.t == T_NOT || ps->tok.t == T_MINUS) {
    int neg = ps->tok.t == T_MINUS;

    next(ps);
    /* -9223372036854775808 is a literal, not the negation of one. */
    if (neg && ps->tok.t == T_INT && ps->tok.u == (uint64_t)INT64_MAX + 1) {
      if ((n = node(ps, N_LIT, pos)) == NULL)
        return NULL;
      n->lit = cel_int(INT64_MIN);
      next(ps);
      ps->depth--;
      return n;
    }
    if ((n = node(ps, neg ? N_NEG : N_NOT, pos)) == NULL)
      return NULL;
    n->target = unary(ps);
    ps->depth--;
    return n->target == NULL ? NULL : n;
  }
  n = member(ps);
  ps->depth--;
  return n;
}

static struct cel_node *binop(struct parser *ps, enum cel_op op, int pos,
                              struct cel_node *l, struct cel_node *r) {
  struct cel_node *n;

  if (l == NULL || r == NULL || (n = node(ps, N_BINOP, pos)) == NULL)
    return NULL;
  n->op = op;
  if (add_arg(ps, n, l, 0) < 0 || add_arg(ps, n, r, 0) < 0)
    return NULL;
  return n;
}

static struct cel_node *multiplication(struct parser *ps) {
  struct cel_node *n = unary(ps);

  while (n != NULL && (ps->tok.t == T_STAR || ps->tok.t == T_SLASH ||
                       ps->tok.t == T_PERCENT)) {
    enum cel_op op = ps->tok.t == T_STAR ? OP_MUL
                     : ps->tok.t == T_SLASH ? OP_DIV : OP_MOD;
    int pos = ps->tok.pos;

    next(ps);
    n = binop(ps, op, pos, n, unary(ps));
  }
  return n;
}

static struct cel_node *addition(struct parser *ps) {
  struct cel_node *n = multiplication(ps);

  while (n != NULL && (ps->tok.t == T_PLUS || ps->tok.t == T_MINUS)) {
    enum cel_op op = ps->tok.t == T_PLUS ? OP_ADD : OP_SUB;
    int pos = ps->tok.pos;

    next(ps);
    n = binop(ps, op, pos, n, multiplication(ps));
  }
  return n;
}

static struct cel_node *relation(struct parser *ps) {
  struct cel_node *n = addition(ps);

  while (n != NULL) {
    enum cel_op op;
    int pos = ps->tok.pos;

    switch (ps->tok.t) {
    case T_EQ: op = OP_EQ; break;
    case T_NE: op = OP_NE; break;
    case T_LT: op = OP_LT; break;
    case T_LE: op = OP_LE; break;
    case T_GT: op = OP_GT; break;
    case T_GE: op = OP_GE; break;
    case T_IN: op = OP_IN; break;
    default: return n;
    }
    next(ps);
    n = binop(ps, op, pos, n, addition(ps));
  }
  return n;
}

static struct cel_node *logical(struct parser *ps, int is_or) {
  struct cel_node *n = is_or ? logical(ps, 0) : relation(ps), *m;
  enum tok t = is_or ? T_OR : T_AND;

  while (n != NULL && ps->tok.t == t) {
    int pos = ps->tok.pos;

    next(ps);
    if ((m = node(ps, is_or ? N_OR : N_AND, pos)) == NULL ||
        add_arg(ps, m, n, 0) < 0 ||
        add_arg(ps, m, is_or ? logical(ps, 0) : relation(ps), 0) < 0)
      return NULL;
    n = m;
  }
  return n;
}

static struct cel_node *expr(struct parser *ps) {
  struct cel_node *c, *n;
  int pos;

  if (ps->err != NULL || enter(ps) < 0)
    return NULL;
  c = logical(ps, 1);
  if (c == NULL || ps->tok.t != T_QUESTION) {
    ps->depth--;
    return c;
  }
  pos = ps->tok.pos;
  next(ps);
  if ((n = node(ps, N_COND, pos)) == NULL || add_arg(ps, n, c, 0) < 0 ||
      add_arg(ps, n, logical(ps, 1), 0) < 0 || expect(ps, T_COLON) < 0 ||
      add_arg(ps, n, expr(ps), 0) < 0)
    return NULL;
  ps->depth--;
  return n;
}

/* Code points, as cel-go counts the source's size. */
static size_t code_points(const char *s) {
  size_t n = 0;

  for (; *s != '\0'; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      n++;
  return n;
}

struct cp_cel_program *cp_cel_compile(const char *src,
                                      const char *const *vars, char **err) {
  struct parser ps = {0};
  struct cp_cel_program *p = NULL;
  size_t cp;

  *err = NULL;
  if (src == NULL)
    src = "";
  if ((cp = code_points(src)) > CP_CEL_MAX_EXPR_LEN) {
    if (asprintf(err, "expression code point size exceeds limit: size: "
                      "%zu, limit %d", cp, CP_CEL_MAX_EXPR_LEN) < 0)
      *err = NULL;
    return NULL;
  }
  if ((p = calloc(1, sizeof *p)) == NULL ||
      (p->src = strdup(src)) == NULL) {
    cp_cel_program_free(p);
    *err = strdup("out of memory");
    return NULL;
  }
  ps.src = p->src;
  ps.len = strlen(p->src);
  ps.p = p;
  ps.vars = vars;
  next(&ps);
  p->root = expr(&ps);
  if (ps.err == NULL && ps.tok.t != T_EOF)
    unexpected(&ps, "<EOF>");
  if (ps.err == NULL && p->root == NULL)
    fail(&ps, 0, "Syntax error: empty expression");
  if (ps.err != NULL) {
    *err = ps.err;
    cp_cel_program_free(p);
    return NULL;
  }
  return p;
}

const char *cp_cel_program_unsupported(const struct cp_cel_program *p) {
  size_t i;

  for (i = 0; p != NULL && i < p->n_nodes; i++)
    if (p->nodes[i]->k == N_CALL && !cel_function_supported(p->nodes[i]->name))
      return p->nodes[i]->name;
  return NULL;
}

int cp_cel_program_uses(const struct cp_cel_program *p, const char *name) {
  size_t i;

  for (i = 0; p != NULL && i < p->n_nodes; i++)
    if (p->nodes[i]->k == N_IDENT && strcmp(p->nodes[i]->name, name) == 0)
      return 1;
  return 0;
}
