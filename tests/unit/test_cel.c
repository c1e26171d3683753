/*
 * Unit tests for host/cel: cel-spec's conformance cases (converted by
 * tests/unit/cel/conformance.py into cel/conformance.h; those cplane's
 * CEL does not pass are listed below with the reason), Kubernetes' CEL
 * libraries (lists, strings, regex, url, quantity), parse errors in
 * cel-go's words, the limits (cost, length, depth) and evaluation over
 * json-c values as CRD rules bind them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/schema.h"
#include "apiserver/schema_rules.h"
#include "cel/cel.h"

struct conf_case {
  const char *name, *expr, *want; /* want NULL: an error */
  const char *names[2], *values[2];
  size_t n;
};

#include "cel/conformance.h"

/* Cases (by name prefix) cplane's CEL does not run, each with why. */
static const char *const conf_skip[] = {
    /* Run with the checker disabled: an undeclared name is a compile
     * error here, as it is for kube's CRD rules (always checked). */
    "basic/variables/unbound_is_runtime_error",
    "basic/functions/unbound_is_runtime_error",
    "parse/receiver_function_names/",
    /* Variables with dotted names (a.b.c): kube binds only self/oldSelf. */
    "fields/qualified_identifier_resolution/qualified_ident",
    "fields/qualified_identifier_resolution/map_field_select",
    "fields/qualified_identifier_resolution/"
    "qualified_identifier_resolution_unchecked",
    "fields/qualified_identifier_resolution/ident_with_longest_prefix_check",
    NULL};

static int skipped(const char *name) {
  size_t i;

  for (i = 0; conf_skip[i] != NULL; i++)
    if (strncmp(conf_skip[i], name, strlen(conf_skip[i])) == 0 &&
        (name[strlen(conf_skip[i])] == '\0' ||
         conf_skip[i][strlen(conf_skip[i]) - 1] == '/'))
      return 1;
  return 0;
}

/* Runs one case; NULL when it passes, else what went wrong (malloc'd). */
static char *conf_run(const struct conf_case *k) {
  char *got = NULL, *err = NULL, *want = NULL, *werr = NULL, *msg = NULL;
  int rc = cp_cel_eval_text(k->expr, k->names, k->values, k->n,
                            CP_CEL_PER_CALL_LIMIT, &got, &err);

  if (k->want == NULL) {
    if (rc == 0 && asprintf(&msg, "want an error, got %s", got) < 0)
      msg = NULL;
    goto out;
  }
  if (rc < 0) {
    if (asprintf(&msg, "error: %s", err) < 0)
      msg = NULL;
    goto out;
  }
  if (cp_cel_eval_text(k->want, NULL, NULL, 0, CP_CEL_PER_CALL_LIMIT, &want,
                       &werr) < 0) {
    if (asprintf(&msg, "bad expectation %s: %s", k->want, werr) < 0)
      msg = NULL;
    goto out;
  }
  if (strcmp(got, want) != 0 && asprintf(&msg, "got %s, want %s", got,
                                         want) < 0)
    msg = NULL;
out:
  free(got);
  free(err);
  free(want);
  free(werr);
  return msg;
}

static void test_conformance(void **state) {
  size_t i, n = sizeof conf_cases / sizeof conf_cases[0], pass = 0, skip = 0;
  size_t fail = 0;

  (void)state;
  for (i = 0; i < n; i++) {
    char *msg = conf_run(&conf_cases[i]);

    if (skipped(conf_cases[i].name)) {
      skip++;
      if (msg == NULL)
        print_message("skipped but passes: %s\n", conf_cases[i].name);
    } else if (msg != NULL) {
      print_message("FAIL %s: %s\n  expr: %s\n", conf_cases[i].name, msg,
                    conf_cases[i].expr);
      fail++;
    } else {
      pass++;
    }
    free(msg);
  }
  print_message("cel-spec conformance: %zu passed, %zu skipped, %zu failed "
                "of %zu\n", pass, skip, fail, n);
  assert_int_equal(fail, 0);
}

/* expr -> canonical result, or (want starting with '!') an error whose
 * message contains the rest. */
struct lib_case {
  const char *expr, *want;
};

static const struct lib_case lib_cases[] = {
    /* lists */
    {"[1, 2, 2, 3].isSorted()", "true"},
    {"[2, 1].isSorted()", "false"},
    {"['a', 'b'].isSorted()", "true"},
    {"[1, 2, 3].sum()", "6"},
    {"[1.5, 2.5].sum()", "4.0"},
    {"[].sum()", "0"},
    {"[duration('1s'), duration('2s')].sum() == duration('3s')", "true"},
    {"[3, 1, 2].min()", "1"},
    {"[3, 1, 2].max()", "3"},
    {"[].min()", "!min called on empty list"},
    {"[1, 2, 1].indexOf(1)", "0"},
    {"[1, 2, 1].lastIndexOf(1)", "2"},
    {"[1, 2].indexOf(5)", "-1"},
    {"[9223372036854775807, 1].sum()", "!integer overflow"},
    /* strings */
    {"'hello'.charAt(1)", "\"e\""},
    {"'hello'.charAt(5)", "\"\""},
    {"'hello'.charAt(6)", "!index out of range: 6"},
    {"'héllo'.charAt(1)", "\"é\""},
    {"'hello mellow'.indexOf('ello')", "1"},
    {"'hello mellow'.indexOf('ello', 2)", "7"},
    {"'hello mellow'.lastIndexOf('ello')", "7"},
    {"'hello mellow'.lastIndexOf('ello', 6)", "1"},
    {"'hello'.indexOf('')", "0"},
    {"'TacoCat'.lowerAscii()", "\"tacocat\""},
    {"'TacoCÆt'.upperAscii() == 'TACOCÆT'", "true"},
    {"'a-b-c'.replace('-', '+')", "\"a+b+c\""},
    {"'a-b-c'.replace('-', '', 1)", "\"ab-c\""},
    {"'a,b,,c'.split(',')", "[\"a\", \"b\", \"\", \"c\"]"},
    {"'a,b,c'.split(',', 2)", "[\"a\", \"b,c\"]"},
    {"'a,b,c'.split(',', 0)", "[]"},
    {"'tacocat'.substring(4)", "\"cat\""},
    {"'tacocat'.substring(0, 4)", "\"taco\""},
    {"'tacocat'.substring(4, 2)",
     "!invalid substring range. start: 4, end: 2"},
    {"'  \\t trim me\\n '.trim()", "\"trim me\""},
    {"['a', 'b', 'c'].join()", "\"abc\""},
    {"['a', 'b', 'c'].join(', ')", "\"a, b, c\""},
    {"[].join('-')", "\"\""},
    /* regex */
    {"'abc 123 def 456'.find('[0-9]+')", "\"123\""},
    {"'abc'.find('[0-9]+')", "\"\""},
    {"'abc 123 def 456'.findAll('[0-9]+')", "[\"123\", \"456\"]"},
    {"'abc 123 def 456'.findAll('[0-9]+', 1)", "[\"123\"]"},
    {"'k8s-app'.matches('^[a-z0-9-]+$')", "true"},
    {"'x'.matches('(?=x)')", "!invalid matches argument: error parsing regexp"},
    {"'x'.matches('(?=' + 'x)')", "!error parsing regexp"},
    {"matches('abc', 'b')", "true"},
    /* url */
    {"url('https://user@example.com:8443/a%20b?x=1&x=2&y=z#f').getScheme()",
     "\"https\""},
    {"url('https://example.com:8443/a').getHost()", "\"example.com:8443\""},
    {"url('https://example.com:8443/a').getHostname()", "\"example.com\""},
    {"url('https://example.com:8443/a').getPort()", "\"8443\""},
    {"url('https://example.com/a').getPort()", "\"\""},
    {"url('https://[::1]:80/a').getHostname()", "\"::1\""},
    {"url('https://[::1]:80/a').getPort()", "\"80\""},
    {"url('https://example.com/a%20b?q=1').getEscapedPath()",
     "\"/a%20b\""},
    {"url('https://example.com/?x=1&x=2&y=z').getQuery()",
     "{\"x\": [\"1\", \"2\"], \"y\": [\"z\"]}"},
    {"url('/absolute/path').getHost()", "\"\""},
    {"isURL('https://example.com')", "true"},
    {"isURL('not a url')", "false"},
    {"isURL('example.com')", "false"},
    {"url('bad url')", "!URL parse error"},
    /* quantity */
    {"quantity('1Gi').isGreaterThan(quantity('1G'))", "true"},
    {"quantity('500m').isLessThan(quantity('1'))", "true"},
    {"quantity('1k').compareTo(quantity('1000'))", "0"},
    {"quantity('2Mi').asInteger()", "2097152"},
    {"quantity('1.5').asInteger()", "!cannot convert value to integer"},
    {"quantity('1.5').isInteger()", "false"},
    {"quantity('1.5').asApproximateFloat()", "1.5"},
    {"quantity('-3').sign()", "-1"},
    {"quantity('0').sign()", "0"},
    {"quantity('1').add(quantity('500m')) == quantity('1500m')", "true"},
    {"quantity('1').sub(1).isInteger()", "true"},
    {"quantity('1n').isLessThan(quantity('2n'))", "true"},
    {"quantity('100Ei').isGreaterThan(quantity('1Ei'))", "true"},
    {"isQuantity('1.5Gi')", "true"},
    {"isQuantity('1.5GB')", "false"},
    {"quantity('x')", "!quantities must match the regular expression"},
    /* timestamps and durations */
    {"timestamp('2024-02-29T12:30:00Z').getFullYear()", "2024"},
    {"timestamp('2024-02-29T12:30:00Z').getMonth()", "1"},
    {"timestamp('2024-02-29T12:30:00Z').getDayOfYear()", "59"},
    {"timestamp('2024-02-29T12:30:00Z').getDayOfWeek()", "4"},
    {"timestamp('2024-02-29T12:30:00+02:00').getHours()", "10"},
    {"timestamp('2024-01-01T00:00:00Z') + duration('36h') == "
     "timestamp('2024-01-02T12:00:00Z')",
     "true"},
    {"timestamp('2024-01-02T00:00:00Z') - timestamp('2024-01-01T00:00:00Z')"
     " == duration('24h')",
     "true"},
    {"duration('1h30m') > duration('90m')", "false"},
    {"duration('1m30.5s').getSeconds()", "90"},
    {"string(duration('1m30.5s'))", "\"90.5s\""},
    {"string(timestamp('2024-01-01T00:00:00.5Z'))",
     "\"2024-01-01T00:00:00.5Z\""},
    {"timestamp('2024-13-01T00:00:00Z')", "!invalid timestamp"},
    {"duration('1x')", "!invalid duration"},
    /* optionals */
    {"{'a': 1}.?a.orValue(5)", "1"},
    {"{'a': 1}.?b.orValue(5)", "5"},
    {"optional.none().hasValue()", "false"},
    {"[?optional.of(1), ?optional.none()]", "[1]"},
    /* errors absorbed by logic, as cel-spec says */
    {"1/0 == 1 || true", "true"},
    {"false && 1/0 == 1", "false"},
    {"1/0 == 1 && true", "!division by zero"},
    {"[1, 0].exists(x, 1/x == 1)", "true"},
    {"[0, 1].all(x, 1/x == 1)", "!division by zero"},
    /* cel.bind */
    {"cel.bind(x, [1, 2], x.size() + x[1])", "4"},
    {"cel.bind(x, 1, cel.bind(y, x + 1, [x, y]))", "[1, 2]"},
    {NULL, NULL}};

/* Kubernetes' ip/cidr/semver libraries and cel-go's extensions (format,
 * quote, reverse, sets, math, base64), with kube's and cel-go's own
 * examples and error texts (k8s.io/apiserver/pkg/cel/library tests,
 * cel-go ext tests). */
static const struct lib_case ext_cases[] = {
    /* ip */
    {"ip('192.168.0.1')", "ip(192.168.0.1)"},
    {"ip('192.168.0.1.0')",
     "!IP Address \"192.168.0.1.0\" parse error during conversion from "
     "string: ParseAddr(\"192.168.0.1.0\"): IPv4 address too long"},
    {"ip('1.2.3')", "!ParseAddr(\"1.2.3\"): IPv4 address too short"},
    {"ip('01.2.3.4')",
     "!ParseAddr(\"01.2.3.4\"): IPv4 field has octet with leading zero"},
    {"ip('1.2.3.256')", "!ParseAddr(\"1.2.3.256\"): IPv4 field has value >255"},
    {"ip('x')", "!ParseAddr(\"x\"): unable to parse IP"},
    {"ip('2001:db8:::68')",
     "!IP Address \"2001:db8:::68\" parse error during conversion from "
     "string: ParseAddr(\"2001:db8:::68\"): each colon-separated field must "
     "have at least one digit (at \":68\")"},
    {"ip('fe80::1%eth0')",
     "!IP address \"fe80::1%eth0\" with zone value is not allowed"},
    {"ip('::ffff:1.2.3.4')",
     "!IPv4-mapped IPv6 address \"::ffff:1.2.3.4\" is not allowed"},
    {"isIP('192.168.0.1')", "true"},
    {"isIP('192.168.0.1.0')", "false"},
    {"isIP('2001:db8::68')", "true"},
    {"isIP('2001:db8:::68')", "false"},
    {"ip.isCanonical('127.0.0.1')", "true"},
    {"ip.isCanonical('2001:db8::68')", "true"},
    {"ip.isCanonical('2001:DB8::68')", "false"},
    {"ip.isCanonical('2001:db8:0:0:0:0:0:68')", "false"},
    {"ip.isCanonical('127.0.0.1.0')", "!IPv4 address too long"},
    {"string(ip('2001:DB8:0:0:1:0:0:68'))", "\"2001:db8::1:0:0:68\""},
    {"string(ip('1:0:0:2:0:0:0:3'))", "\"1:0:0:2::3\""},
    {"string(ip('::1:2:3:4:5:6:7'))", "\"0:1:2:3:4:5:6:7\""},
    {"string(ip('::'))", "\"::\""},
    {"string(ip('::1.2.3.4'))", "\"::102:304\""},
    {"ip('192.168.0.1').family()", "4"},
    {"ip('2001:db8::68').family()", "6"},
    {"ip('0.0.0.0').isUnspecified()", "true"},
    {"ip('127.0.0.1').isUnspecified()", "false"},
    {"ip('::').isUnspecified()", "true"},
    {"ip('127.0.0.1').isLoopback()", "true"},
    {"ip('1.2.3.4').isLoopback()", "false"},
    {"ip('::1').isLoopback()", "true"},
    {"ip('2001:db8::abcd').isLoopback()", "false"},
    {"ip('224.0.0.1').isLinkLocalMulticast()", "true"},
    {"ip('224.0.1.1').isLinkLocalMulticast()", "false"},
    {"ip('ff02::1').isLinkLocalMulticast()", "true"},
    {"ip('fd00::1').isLinkLocalMulticast()", "false"},
    {"ip('169.254.169.254').isLinkLocalUnicast()", "true"},
    {"ip('192.168.0.1').isLinkLocalUnicast()", "false"},
    {"ip('fe80::1').isLinkLocalUnicast()", "true"},
    {"ip('fd80::1').isLinkLocalUnicast()", "false"},
    {"ip('192.168.0.1').isGlobalUnicast()", "true"},
    {"ip('255.255.255.255').isGlobalUnicast()", "false"},
    {"ip('2001:db8::abcd').isGlobalUnicast()", "true"},
    {"ip('ff00::1').isGlobalUnicast()", "false"},
    {"ip('10.0.0.1') == ip('10.0.0.1')", "true"},
    {"ip('::1') == ip('0:0::1')", "true"},
    {"type(ip('192.168.0.1')) == net.IP", "true"},
    {"isIP(1)", "!no such overload"},
    /* cidr */
    {"cidr('192.168.0.0/24')", "cidr(192.168.0.0/24)"},
    {"cidr('192.168.0.0/33')",
     "!network address parse error during conversion from string: network "
     "address parse error during conversion from string: "
     "netip.ParsePrefix(\"192.168.0.0/33\"): prefix length out of range"},
    {"cidr('192.168.0.0')", "!netip.ParsePrefix(\"192.168.0.0\"): no '/'"},
    {"cidr('10.0.0.0/08')",
     "!netip.ParsePrefix(\"10.0.0.0/08\"): bad bits after slash: \"08\""},
    {"cidr('x/8')",
     "!netip.ParsePrefix(\"x/8\"): ParseAddr(\"x\"): unable to parse IP"},
    {"cidr('::ffff:1.2.3.4/120')",
     "!network address parse error during conversion from string: IPv4-mapped "
     "IPv6 address \"::ffff:1.2.3.4/120\" is not allowed"},
    {"isCIDR('192.168.0.0/16')", "true"},
    {"isCIDR('::1/128')", "true"},
    {"isCIDR('192.168.0.0/33')", "false"},
    {"isCIDR('::1/129')", "false"},
    {"cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))", "true"},
    {"cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))", "false"},
    {"cidr('192.168.0.0/24').containsIP('192.168.0.1')", "true"},
    {"cidr('192.168.0.0/24').containsIP('::1')", "false"},
    {"cidr('192.168.0.0/24').containsIP('x')", "!unable to parse IP"},
    {"cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))", "true"},
    {"cidr('192.168.1.0/24').containsCIDR(cidr('192.168.2.0/24'))", "false"},
    {"cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')", "true"},
    {"cidr('192.168.10.0/24').containsCIDR('192.168.0.0/16')", "false"},
    {"cidr('2001:db8::/32').containsCIDR('2001:db8:1::/48')", "true"},
    {"cidr('192.168.0.1/24').ip()", "ip(192.168.0.1)"},
    {"cidr('192.168.0.1/24').ip().family()", "4"},
    {"cidr('::1/128').ip().family()", "6"},
    {"cidr('192.168.0.1/24').masked()", "cidr(192.168.0.0/24)"},
    {"cidr('2001:db8::1/33').masked()", "cidr(2001:db8::/33)"},
    {"cidr('192.168.0.0/24') == cidr('192.168.0.0/24').masked()", "true"},
    {"cidr('192.168.0.1/24') == cidr('192.168.0.1/24').masked()", "false"},
    {"cidr('192.168.0.0/16').prefixLength()", "16"},
    {"cidr('::1/128').prefixLength()", "128"},
    {"string(cidr('2001:DB8::/32'))", "\"2001:db8::/32\""},
    {"type(cidr('10.0.0.0/8')) == net.CIDR", "true"},
    /* semver */
    {"semver('1.2.3').major()", "1"},
    {"semver('1.2.3').minor()", "2"},
    {"semver('1.2.3').patch()", "3"},
    {"isSemver('1.2.3-beta.1+build.5')", "true"},
    {"isSemver('v1.0.0')", "false"},
    {"isSemver('v1.0', true)", "true"},
    {"isSemver('01.01.01', true)", "true"},
    {"isSemver('1.0-rc', true)", "false"},
    {"semver('1.0', true) == semver('1.0.0')", "true"},
    {"semver('v01.02.03', true) == semver('1.2.3')", "true"},
    {"semver('1.2.3+a') == semver('1.2.3+b')", "true"},
    {"semver('1.2')", "!No Major.Minor.Patch elements found"},
    {"semver('01.2.3')",
     "!Major number must not contain leading zeroes \"01\""},
    {"semver('1.x.3')", "!Invalid character(s) found in minor number \"x\""},
    {"semver('1.2.3-01')", "!Numeric PreRelease version must not contain "
                           "leading zeroes \"01\""},
    {"semver('1.2.3-a..b')", "!Prerelease is empty"},
    {"semver('1.2.3+')", "!Build meta data is empty"},
    {"semver('')", "!Version string empty"},
    {"semver('1.2.3').compareTo(semver('1.2.3'))", "0"},
    {"semver('1.2.3').compareTo(semver('2.0.0'))", "-1"},
    {"semver('1.2.3').compareTo(semver('0.1.2'))", "1"},
    {"semver('1.0.0-alpha').isLessThan(semver('1.0.0'))", "true"},
    {"semver('1.0.0-alpha').isLessThan(semver('1.0.0-alpha.1'))", "true"},
    {"semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))", "true"},
    {"semver('1.0.0-beta.2').isLessThan(semver('1.0.0-beta.11'))", "true"},
    {"semver('1.0.0-rc.1').isGreaterThan(semver('1.0.0-beta.11'))", "true"},
    {"semver('2.0.0').isGreaterThan(semver('10.0.0'))", "false"},
    /* format, quote, reverse */
    {"'%s is %d years, %.2f m, %e, %x %X %o %b'.format(['Al', 30, 1.756, "
     "1234.5, 255, 255, 8, 5])",
     "\"Al is 30 years, 1.76 m, 1.234500e+03, ff FF 10 101\""},
    {"'%d'.format([-42])", "\"-42\""},
    {"size('%.600f'.format([1e300])) == 902", "true"},
    {"'%x'.format([-255])", "\"-ff\""},
    {"'%s'.format([[1, 'a', [true]]])", "\"[1, a, [true]]\""},
    {"'%s'.format([{'b': 1, 'a': 2}])", "\"{a: 2, b: 1}\""},
    {"'%s'.format([ip('10.0.0.1')])", "\"10.0.0.1\""},
    {"'%d %d'.format([1])", "!index 1 out of range"},
    {"'%a'.format([1])",
     "!could not parse formatting clause: unrecognized formatting clause "
     "\"a\""},
    {"'%d'.format([1.5])",
     "!error during formatting: decimal clause can only be used on "
     "integers, was given double"},
    {"'%b'.format(['abc'])",
     "!only integers and bools can be formatted as binary, was given string"},
    {"'%f'.format([null])",
     "!fixed-point clause can only be used on doubles, was given null_type"},
    {"'%x'.format([0.5])", "!can be formatted as hex, was given double"},
    {"strings.quote('a\"b\\\\c\\n')", "\"\\\"a\\\\\\\"b\\\\\\\\c\\\\n\\\"\""},
    {"'héllo'.reverse()", "\"olléh\""},
    {"''.reverse()", "\"\""},
    /* sets */
    {"sets.contains([1, 2, 3], [3, 1])", "true"},
    {"sets.contains([1, 2], [3])", "false"},
    {"sets.contains([1, 2], [])", "true"},
    {"sets.contains([1, 2.0, 3u], [1.0, 2u, 3])", "true"},
    {"sets.equivalent([1, 2, 2], [2, 1])", "true"},
    {"sets.equivalent([1, 2], [1, 2, 3])", "false"},
    {"sets.intersects([1, 2], [2, 3])", "true"},
    {"sets.intersects([1], [])", "false"},
    {"sets.contains(1, [1])", "!no such overload"},
    /* math */
    {"math.greatest(1, 2.5, 3u)", "3u"},
    {"math.greatest([5, -1])", "5"},
    {"math.least(1, -2.5)", "-2.5"},
    {"math.least([3u, 1])", "1"},
    {"math.greatest([])", "!math.@max(list) argument must not be empty"},
    {"math.least([])", "!math.@min(list) argument must not be empty"},
    {"math.ceil(1.2)", "2.0"},
    {"math.floor(-1.2)", "-2.0"},
    {"math.round(2.5)", "3.0"},
    {"math.round(-2.5)", "-3.0"},
    {"math.trunc(-1.7)", "-1.0"},
    {"math.abs(-5)", "5"},
    {"math.abs(-9223372036854775807 - 1)", "!integer overflow"},
    {"math.abs(-1.5)", "1.5"},
    {"math.sign(-7)", "-1"},
    {"math.sign(0u)", "0u"},
    {"math.sign(2.5)", "1.0"},
    {"math.isInf(1.0/0.0)", "true"},
    {"math.isNaN(0.0/0.0)", "true"},
    {"math.isFinite(1.0)", "true"},
    {"math.sqrt(16)", "4.0"},
    {"math.bitAnd(6, 3)", "2"},
    {"math.bitOr(6u, 3u)", "7u"},
    {"math.bitXor(6, 3)", "5"},
    {"math.bitNot(0)", "-1"},
    {"math.bitNot(0u)", "18446744073709551615u"},
    {"math.bitShiftLeft(1, 3)", "8"},
    {"math.bitShiftLeft(1, 64)", "0"},
    {"math.bitShiftRight(-1, 60)", "15"},
    {"math.bitShiftRight(1024u, 3)", "128u"},
    {"math.bitShiftLeft(1, -1)",
     "!math.bitShiftLeft() negative offset: -1"},
    {"math.bitAnd(1, 1u)", "!no such overload"},
    {"math.ceil(1)", "!no such overload"},
    /* time zones: tzdata's transitions, then the file's POSIX rule */
    {"timestamp('2009-02-13T23:31:30Z').getHours('America/New_York')", "18"},
    {"timestamp('2009-07-13T23:31:30Z').getHours('America/New_York')", "19"},
    {"timestamp('2100-01-01T12:00:00Z').getHours('America/New_York')", "7"},
    {"timestamp('2100-07-01T12:00:00Z').getHours('America/New_York')", "8"},
    {"timestamp('2100-11-08T05:59:59Z').getHours('America/New_York')", "0"},
    {"timestamp('2100-11-08T06:00:00Z').getHours('America/New_York')", "1"},
    {"timestamp('2100-01-01T00:00:00Z').getHours('Australia/Sydney')", "11"},
    {"timestamp('2100-07-01T00:00:00Z').getHours('Australia/Sydney')", "10"},
    {"timestamp('2024-01-01T00:00:00Z').getMinutes('Asia/Kolkata')", "30"},
    {"timestamp('2024-01-01T00:00:00Z').getHours('+05:30')", "5"},
    {"timestamp('2024-01-01T00:00:00Z').getDate('-01:00')", "31"},
    {"timestamp('2024-01-01T00:00:00Z').getHours('')", "0"},
    {"timestamp('2024-01-01T00:00:00Z').getHours('Mars/Olympus')",
     "!unknown time zone Mars/Olympus"},
    {"timestamp('2024-01-01T00:00:00Z').getHours('America')",
     "!unknown time zone America"},
    {"timestamp('2024-01-01T00:00:00Z').getHours('../../etc/passwd')",
     "!time: invalid location name"},
    {"timestamp('2024-01-01T00:00:00Z').getHours('x:00')",
     "!strconv.Atoi: parsing \"x\": invalid syntax"},
    /* optMap, optFlatMap */
    {"optional.of(2).optMap(x, x * 3)", "optional.of(6)"},
    {"optional.none().optMap(x, 1 / 0)", "optional.none()"},
    {"{'a': {'b': 1}}.?a.optFlatMap(m, m.?b)", "optional.of(1)"},
    {"{'a': {}}.?a.optFlatMap(m, m.?b)", "optional.none()"},
    {"optional.of(1).optFlatMap(x, x)", "!no such overload"},
    {"optional.of(0).optMap(x, 1 / x)", "!division by zero"},
    {"[1].optMap(x, x)", "!no such overload"},
    /* base64 */
    {"base64.encode(b'hello')", "\"aGVsbG8=\""},
    {"base64.encode(b'')", "\"\""},
    {"base64.decode('aGVsbG8=')", "b\"hello\""},
    {"base64.decode('aGVsbG8')", "b\"hello\""},
    {"base64.decode('aGVs!G8=')", "!illegal base64 data at input byte 4"},
    {"base64.decode('a')", "!illegal base64 data at input byte"},
    /* Go's decoder: unused bits ignored, newlines skipped, the byte named
     * is RawStdEncoding's (cel-go's second try). */
    {"base64.decode('YR==')", "b\"a\""},
    {"base64.decode('aGVs\\nbG8=')", "b\"hello\""},
    {"base64.decode('abcde')", "!illegal base64 data at input byte 4"},
    {"base64.decode('YQ=')", "!illegal base64 data at input byte 2"},
    {NULL, NULL}};

static void run_lib_cases(const struct lib_case *cases) {
  size_t i;

  for (i = 0; cases[i].expr != NULL; i++) {
    const struct lib_case *k = &cases[i];
    char *got = NULL, *err = NULL;
    int rc = cp_cel_eval_text(k->expr, NULL, NULL, 0, CP_CEL_PER_CALL_LIMIT,
                              &got, &err);

    if (k->want[0] == '!') {
      if (rc == 0 || strstr(err, k->want + 1) == NULL)
        fail_msg("%s: want error %s, got %s / %s", k->expr, k->want + 1,
                 got ? got : "-", err ? err : "-");
    } else if (rc < 0 || strcmp(got, k->want) != 0) {
      fail_msg("%s: want %s, got %s / %s", k->expr, k->want, got ? got : "-",
               err ? err : "-");
    }
    free(got);
    free(err);
  }
}

static void test_kube_libraries(void **state) {
  (void)state;
  run_lib_cases(lib_cases);
}

static void test_ext_libraries(void **state) {
  (void)state;
  run_lib_cases(ext_cases);
}

static char *compile_error(const char *src) {
  static const char *const vars[] = {"self", "oldSelf", NULL};
  char *err = NULL;
  struct cp_cel_program *p = cp_cel_compile(src, vars, &err);

  if (p != NULL)
    fail_msg("%s compiled", src);
  return err;
}

/* Compile errors in cel-go's words, with the place marked. */
static void test_parse_errors(void **state) {
  char *e;

  (void)state;
  e = compile_error("self.replicas <=");
  assert_string_equal(e, "ERROR: <input>:1:17: Syntax error: mismatched "
                         "input '<EOF>' expecting {'[', '{', '(', '.', '-', "
                         "'!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, "
                         "NUM_UINT, STRING, BYTES, IDENTIFIER}\n"
                         " | self.replicas <=\n"
                         " | ................^");
  free(e);
  e = compile_error("self.x == other");
  assert_string_equal(e, "ERROR: <input>:1:11: undeclared reference to "
                         "'other' (in container '')\n"
                         " | self.x == other\n"
                         " | ..........^");
  free(e);
  e = compile_error("self.x.frobnicate()");
  assert_non_null(strstr(e, "undeclared reference to 'frobnicate'"));
  free(e);
  e = compile_error("'unterminated");
  assert_non_null(strstr(e, "Syntax error: token recognition error"));
  free(e);
  e = compile_error("if");
  assert_non_null(strstr(e, "reserved identifier: if"));
  free(e);
  e = compile_error("9223372036854775808");
  assert_non_null(strstr(e, "invalid int literal"));
  free(e);
  e = compile_error("1 +\n  )");
  assert_non_null(strstr(e, "ERROR: <input>:2:3: Syntax error"));
  free(e);
  e = compile_error("");
  free(e);
  e = compile_error("cel.bind(x, 1, y)");
  assert_non_null(strstr(e, "undeclared reference to 'y'"));
  free(e);
  e = compile_error("strings.nope('a')");
  assert_non_null(strstr(e, "undeclared reference to 'strings.nope'"));
  free(e);
  {
    static const char *const vars[] = {"self", NULL};
    char *err = NULL;
    struct cp_cel_program *p = cp_cel_compile("isCIDR(self) || self.x", vars,
                                              &err);

    assert_non_null(p);
    /* Every function of kube's environment runs now. */
    assert_null(cp_cel_program_unsupported(p));
    cp_cel_program_free(p);
    p = cp_cel_compile("self.x.matches('a')", vars, &err);
    assert_null(cp_cel_program_unsupported(p));
    cp_cel_program_free(p);
  }
}

/* No source can exhaust the stack, memory or the CPU. */
static void test_limits(void **state) {
  size_t n = 200000, i;
  char *src = malloc(n + 1), *e, *out = NULL, *err = NULL;

  (void)state;
  assert_non_null(src);
  memset(src, '1', n);
  src[n] = '\0';
  e = compile_error(src);
  assert_string_equal(e, "expression code point size exceeds limit: size: "
                         "200000, limit 100000");
  free(e);
  for (i = 0; i < 5000; i++)
    src[i] = '(';
  src[i] = '\0';
  e = compile_error(src);
  assert_non_null(strstr(e, "expression recursion limit exceeded: 250"));
  free(e);
  for (i = 0; i < 5000; i++)
    src[i] = i % 2 ? '!' : '-';
  strcpy(src + i, "1");
  e = compile_error(src);
  assert_non_null(strstr(e, "recursion limit"));
  free(e);
  free(src);
  /* 40^4 steps: past kube's per-call limit. */
  assert_int_equal(
      cp_cel_eval_text("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
                       "21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,"
                       "38,39,40].map(a, [a]).all(a, [1,2,3,4,5,6,7,8,9,10,"
                       "11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,"
                       "28,29,30,31,32,33,34,35,36,37,38,39,40].all(b, "
                       "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
                       "21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,"
                       "38,39,40].all(c, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,"
                       "15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,"
                       "32,33,34,35,36,37,38,39,40].all(d, c + d > 0))))",
                       NULL, NULL, 0, CP_CEL_PER_CALL_LIMIT, &out, &err),
      -1);
  assert_string_equal(err, CP_CEL_COST_EXCEEDED);
  free(err);
  /* A string doubled past the arena: an error, not an abort. */
  err = NULL;
  assert_int_equal(cp_cel_eval_text("['x'].map(s, s + s + s + s + s + s + "
                                    "s + s).map(s, s + s + s + s + s + s + "
                                    "s + s).size() == 1",
                                    NULL, NULL, 0, CP_CEL_PER_CALL_LIMIT,
                                    &out, &err),
                   0);
  free(out);
  free(err);
}

static json_object *parse(const char *text) {
  json_object *o = json_tokener_parse(text);

  if (o == NULL)
    fail_msg("bad fixture: %s", text);
  return o;
}

/* Rules evaluate over json-c values as CRDs bind them. */
static void test_json_bindings(void **state) {
  static const char *const vars[] = {"self", "oldSelf", NULL};
  json_object *self = parse("{\"replicas\": 3, \"max\": 5, \"name\": \"a\","
                            " \"labels\": {\"app\": \"web\"}, \"ports\": "
                            "[80, 443], \"ratio\": 0.5, \"on\": true}");
  json_object *old = parse("{\"replicas\": 3, \"max\": 4, \"name\": \"b\"}");
  struct cp_cel_binding b[2] = {{"self", self, 0}, {"oldSelf", old, 0}};
  static const struct {
    const char *rule;
    int want;
  } cases[] = {
      {"self.replicas <= self.max", 1},
      {"self.labels.app == 'web' && 'app' in self.labels", 1},
      {"self.ports.all(p, p > 0) && self.ports.size() == 2", 1},
      {"self.ratio < 1 && self.on", 1},
      {"has(self.labels) && !has(self.missing)", 1},
      {"self.name == oldSelf.name", 0},
      {"self.max >= oldSelf.max", 1},
      {"self.labels.exists(k, k.startsWith('a'))", 1},
      {"type(self) == map && type(self.ports) == list", 1},
      {"self.missing == 1", -1},
      {"self.ports[5] == 1", -1},
      {"self.replicas", -1},
      {"self.labels.all(k, k.matches('^[a-z]+$')) && "
       "self.ports.all(p, string(p).matches('^[0-9]+$'))", 1},
      {"self.exists_one(k, k == 'ports') && self.map(k, k).size() == 7", 1},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *err = NULL;
    struct cp_cel_program *p = cp_cel_compile(cases[i].rule, vars, &err);
    uint64_t cost = 0;
    int got;

    if (p == NULL)
      fail_msg("%s: %s", cases[i].rule, err);
    got = cp_cel_eval_bool(p, b, 2, CP_CEL_PER_CALL_LIMIT, &cost, &err);
    if (got != cases[i].want)
      fail_msg("%s: got %d (%s), want %d", cases[i].rule, got,
               err ? err : "", cases[i].want);
    assert_true(cost > 0);
    free(err);
    cp_cel_program_free(p);
  }
  {
    char *err = NULL;
    struct cp_cel_program *p = cp_cel_compile("self.missing", vars, &err);

    assert_int_equal(cp_cel_eval_bool(p, b, 2, CP_CEL_PER_CALL_LIMIT, NULL,
                                      &err),
                     -1);
    assert_string_equal(err, "no such key: missing");
    free(err);
    cp_cel_program_free(p);
  }
  json_object_put(self);
  json_object_put(old);
}

static struct cp_schema_doc *crd_doc(const char *text, char **err) {
  json_object *j = parse(text);
  struct cp_schema_doc *d =
      cp_schema_doc_compile_at(j, "spec.versions[0].schema.openAPIV3Schema",
                               err);

  json_object_put(j);
  return d;
}

static const char *widget_schema =
    "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
    "\"x-kubernetes-validations\":["
    "{\"rule\":\"self.replicas <= self.max\",\"message\":\"too many\"},"
    "{\"rule\":\"self.replicas >= 0\"},"
    "{\"rule\":\"self.replicas != 13\",\"reason\":\"FieldValueForbidden\","
    " \"fieldPath\":\".replicas\",\"message\":\"unlucky\"}],"
    "\"properties\":{\"replicas\":{\"type\":\"integer\"},"
    "\"max\":{\"type\":\"integer\"},"
    "\"class\":{\"type\":\"string\",\"x-kubernetes-validations\":"
    "[{\"rule\":\"self == oldSelf\",\"message\":\"immutable\"}]},"
    "\"env\":{\"type\":\"object\",\"additionalProperties\":{\"type\":"
    "\"string\",\"x-kubernetes-validations\":[{\"rule\":\"size(self) < 5\"}]"
    "}},\"gen\":{\"type\":\"integer\",\"x-kubernetes-validations\":[{"
    "\"rule\":\"!oldSelf.hasValue() || self >= oldSelf.value()\","
    "\"optionalOldSelf\":true,\"message\":\"gen only grows\"},"
    "{\"rule\":\"oldSelf.hasValue() || self == 1\",\"optionalOldSelf\":true,"
    "\"message\":\"gen starts at 1\"},"
    "{\"rule\":\"!isIP(string(self)) && math.greatest([self, 0]) == self\"}"
    "]}}}}}";

static char *errors_of(struct cp_schema_result *r) {
  static char buf[2048];
  size_t i, k = 0;

  buf[0] = '\0';
  for (i = 0; i < r->n_errors && k < sizeof buf; i++)
    k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s: %s", i ? "; " : "",
                          r->errors[i].field, r->errors[i].message);
  return buf;
}

static void check(const struct cp_schema *s, const char *obj,
                  const char *old, const char *want) {
  json_object *o = parse(obj), *oo = old ? parse(old) : NULL;
  struct cp_schema_result r = {0};

  cp_schema_rules_check(s, o, oo, &r);
  if (strcmp(errors_of(&r), want) != 0)
    fail_msg("%s:\n got  %s\n want %s", obj, errors_of(&r), want);
  cp_schema_result_clear(&r);
  json_object_put(o);
  json_object_put(oo);
}

/* x-kubernetes-validations on a CRD schema: kube's messages and paths. */
static void test_crd_rules(void **state) {
  char *err = NULL;
  struct cp_schema_doc *d = crd_doc(widget_schema, &err);
  const struct cp_schema *s;

  (void)state;
  if (d == NULL)
    fail_msg("%s", err);
  s = cp_schema_doc_root(d);
  check(s, "{\"spec\":{\"replicas\":1,\"max\":2,\"class\":\"a\"}}", NULL, "");
  check(s, "{\"spec\":{\"replicas\":3,\"max\":2}}", NULL,
        "spec: Invalid value: \"object\": too many");
  check(s, "{\"spec\":{\"replicas\":-1,\"max\":2}}", NULL,
        "spec: Invalid value: \"object\": failed rule: self.replicas >= 0");
  check(s, "{\"spec\":{\"replicas\":13,\"max\":20}}", NULL,
        "spec.replicas: Forbidden: unlucky");
  check(s, "{\"spec\":{\"max\":2}}", NULL,
        "spec: Invalid value: \"object\": no such key: replicas evaluating "
        "rule: self.replicas <= self.max; spec: Invalid value: \"object\": "
        "no such key: replicas evaluating rule: self.replicas >= 0; spec: "
        "Invalid value: \"object\": no such key: replicas evaluating rule: "
        "self.replicas != 13");
  /* Transition rules: not on create, refused on a change. */
  check(s, "{\"spec\":{\"replicas\":1,\"max\":2,\"class\":\"b\"}}",
        "{\"spec\":{\"replicas\":1,\"max\":2,\"class\":\"a\"}}",
        "spec.class: Invalid value: \"string\": immutable");
  check(s, "{\"spec\":{\"replicas\":2,\"max\":2,\"class\":\"a\"}}",
        "{\"spec\":{\"replicas\":1,\"max\":2,\"class\":\"a\"}}", "");
  /* Ratcheting: an unchanged invalid value passes an update. */
  check(s, "{\"spec\":{\"replicas\":3,\"max\":2}}",
        "{\"spec\":{\"replicas\":3,\"max\":2}}", "");
  /* additionalProperties values are keyed: spec.env[KEY]. */
  check(s, "{\"spec\":{\"replicas\":1,\"max\":2,\"env\":{\"A\":\"toolong\"}}}",
        NULL,
        "spec.env[A]: Invalid value: \"string\": failed rule: size(self) < 5");
  /* optionalOldSelf: the rule runs on create too, oldSelf none there. */
  check(s, "{\"spec\":{\"replicas\":1,\"max\":2,\"gen\":1}}", NULL, "");
  check(s, "{\"spec\":{\"replicas\":1,\"max\":2,\"gen\":2}}", NULL,
        "spec.gen: Invalid value: \"integer\": gen starts at 1");
  check(s, "{\"spec\":{\"replicas\":1,\"max\":2,\"gen\":1}}",
        "{\"spec\":{\"replicas\":1,\"max\":2,\"gen\":3}}",
        "spec.gen: Invalid value: \"integer\": gen only grows");
  cp_schema_doc_free(d);
}

static const char *ports_schema =
    "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
    "\"properties\":{\"ports\":{\"type\":\"array\","
    "\"x-kubernetes-list-type\":\"map\","
    "\"x-kubernetes-list-map-keys\":[\"name\",\"proto\"],"
    "\"items\":{\"type\":\"object\",\"x-kubernetes-validations\":["
    "{\"rule\":\"self.port == oldSelf.port\",\"message\":\"port is "
    "immutable\"}],\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"proto\":{\"type\":\"string\"},\"port\":{\"type\":\"integer\"}}}},"
    "\"tags\":{\"type\":\"array\",\"x-kubernetes-list-type\":\"set\","
    "\"items\":{\"type\":\"string\",\"x-kubernetes-validations\":["
    "{\"rule\":\"self == oldSelf\"}]}},"
    "\"net\":{\"type\":\"string\",\"x-kubernetes-validations\":["
    "{\"rule\":\"isCIDR(self) && cidr(self).prefixLength() >= 16\","
    "\"messageExpression\":\"'%s is not a /16 or smaller'.format([self])"
    "\"}]}}}}}";

/* oldSelf on the items of a map list: the old item with the same keys
 * (kube's correlation), whatever its index; set lists correlate nothing. */
static void test_crd_rules_list_map(void **state) {
  char *err = NULL;
  struct cp_schema_doc *d = crd_doc(ports_schema, &err);
  const struct cp_schema *s;
  const char *old =
      "{\"spec\":{\"ports\":[{\"name\":\"a\",\"proto\":\"TCP\",\"port\":1},"
      "{\"name\":\"a\",\"proto\":\"UDP\",\"port\":2}],\"tags\":[\"x\"]}}";

  (void)state;
  if (d == NULL)
    fail_msg("%s", err);
  s = cp_schema_doc_root(d);
  check(s, old, NULL, "");
  /* Reordered, same items: nothing changed. */
  check(s,
        "{\"spec\":{\"ports\":[{\"name\":\"a\",\"proto\":\"UDP\",\"port\":2},"
        "{\"name\":\"a\",\"proto\":\"TCP\",\"port\":1}]}}",
        old, "");
  /* The TCP item, now second, changed its port: compared with the old
   * TCP item, not with the old second one. */
  check(s,
        "{\"spec\":{\"ports\":[{\"name\":\"a\",\"proto\":\"UDP\",\"port\":2},"
        "{\"name\":\"a\",\"proto\":\"TCP\",\"port\":5}]}}",
        old, "spec.ports[1]: Invalid value: \"object\": port is immutable");
  /* A new key is a new item: no oldSelf, the transition rule does not
   * run; nor does it for an item missing a key. */
  check(s,
        "{\"spec\":{\"ports\":[{\"name\":\"b\",\"proto\":\"TCP\",\"port\":7},"
        "{\"name\":\"a\",\"port\":9}]}}",
        old, "");
  /* Set lists are not correlated. */
  check(s, "{\"spec\":{\"tags\":[\"y\",\"x\"]}}", old, "");
  /* Kube's libraries run in CRD rules now. */
  check(s, "{\"spec\":{\"net\":\"10.0.0.0/16\"}}", NULL, "");
  check(s, "{\"spec\":{\"net\":\"10.0.0.0/8\"}}", NULL,
        "spec.net: Invalid value: \"string\": 10.0.0.0/8 is not a /16 or "
        "smaller");
  check(s, "{\"spec\":{\"net\":\"10.0.0.0\"}}", NULL,
        "spec.net: Invalid value: \"string\": 10.0.0.0 is not a /16 or "
        "smaller");
  cp_schema_doc_free(d);
}

static void test_crd_rule_compile_errors(void **state) {
  char *err = NULL;

  (void)state;
  assert_null(crd_doc("{\"type\":\"object\",\"properties\":{\"spec\":{"
                      "\"type\":\"object\",\"x-kubernetes-validations\":["
                      "{\"rule\":\"self.a <\"}]}}}",
                      &err));
  assert_non_null(strstr(
      err, "spec.versions[0].schema.openAPIV3Schema.properties[spec]."
           "x-kubernetes-validations[0].rule: Invalid value: "
           "apiextensions.ValidationRule{Rule:\"self.a <\", Message:\"\", "
           "MessageExpression:\"\", Reason:(*apiextensions."
           "FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:"
           "(*bool)(nil)}: compilation failed: ERROR: <input>:1:9: Syntax "
           "error: mismatched input '<EOF>'"));
  free(err);
  err = NULL;
  assert_null(crd_doc("{\"type\":\"object\",\"x-kubernetes-validations\":["
                      "{\"message\":\"m\"}]}",
                      &err));
  assert_string_equal(err, "spec.versions[0].schema.openAPIV3Schema."
                           "x-kubernetes-validations[0].rule: Required "
                           "value: rule is not specified");
  free(err);
  err = NULL;
  assert_null(crd_doc("{\"type\":\"object\",\"x-kubernetes-validations\":["
                      "{\"rule\":\"true\",\"reason\":\"Nope\"}]}",
                      &err));
  assert_non_null(strstr(err, "reason: Unsupported value: \"Nope\""));
  free(err);
  err = NULL;
  assert_null(crd_doc("{\"type\":\"object\",\"x-kubernetes-validations\":"
                      "{\"rule\":\"true\"}}",
                      &err));
  assert_non_null(strstr(err, "must be a list"));
  free(err);
}

/* The type check at CRD write time: what cel-go's checker surely refuses
 * with the schema's types, in its words; nothing uncertain refused. */
static void test_crd_rule_type_check(void **state) {
  static const struct {
    const char *rule, *want; /* want NULL: accepted */
  } cases[] = {
      {"self.replicas + \"a\" == 1",
       "compilation failed: ERROR: <input>:1:15: found no matching overload "
       "for '_+_' applied to '(int, string)'\n | self.replicas + \"a\" == 1"
       "\n | ..............^"},
      {"self.replicas < 'a'",
       "ERROR: <input>:1:15: found no matching overload for '_<_' applied to "
       "'(int, string)'"},
      {"self.nope == 1", "ERROR: <input>:1:5: undefined field 'nope'"},
      {"has(self.nope)", "undefined field 'nope'"},
      {"self.replicas", "}: cel expression must evaluate to a bool"},
      {"self.name", "cel expression must evaluate to a bool"},
      {"self.name && true",
       "found no matching overload for '_&&_' applied to '(string, bool)'"},
      {"!self.replicas",
       "found no matching overload for '!_' applied to '(int)'"},
      {"-self.name == 'a'",
       "found no matching overload for '-_' applied to '(string)'"},
      {"self.ratio % 2.0 == 0.0",
       "found no matching overload for '_%_' applied to '(double, double)'"},
      {"self.replicas + 1.5 > 2",
       "found no matching overload for '_+_' applied to '(int, double)'"},
      {"self.replicas ? true : false",
       "found no matching overload for '_?_:_' applied to '(int)'"},
      {"self.tags[0] + 1 == 2",
       "found no matching overload for '_+_' applied to '(string, int)'"},
      {"self.env.x + 1 == 2",
       "found no matching overload for '_+_' applied to '(string, int)'"},
      {"oldSelf.replicas + 'a' == 1", "'(int, string)'"},
      /* accepted: certain and right, or not certain */
      {"self.replicas < 1.5", NULL},
      {"self.replicas + 1 > self.ratio", NULL},
      {"self.name + 'x' == 'ax' && size(self.tags) >= 0", NULL},
      {"self.env.anything == 'x'", NULL},
      {"self.any.whatever == 1", NULL},
      {"self.ios == 1 || self.ios == 'a'", NULL},
      {"self.created < timestamp('2024-01-01T00:00:00Z')", NULL},
      {"self.tags.all(t, t.size() > 0) && self.tags.map(t, t + 1) != []",
       NULL},
      {"has(self.name) && self.on", NULL},
      {"cel.bind(x, self.replicas, x + 1 > 0)", NULL},
      {"self.replicas == 'a'", NULL},
      {"int(self.name) + 1 > 0", NULL},
      {"self.?nope.orValue(1) == 1", NULL},
      {"self.metadata.name == 'a' && self.kind == 'W'", NULL},
      {"self.foo__dash__bar == 1", NULL},
      {NULL, NULL}};
  size_t i;

  (void)state;
  for (i = 0; cases[i].rule != NULL; i++) {
    char *doc = NULL, *err = NULL;
    struct cp_schema_doc *d;
    json_object *rule = json_object_new_string(cases[i].rule);

    if (rule == NULL || asprintf(&doc,
                 "{\"type\":\"object\",\"properties\":{\"spec\":{"
                 "\"type\":\"object\",\"x-kubernetes-validations\":[{"
                 "\"rule\":%s}],\"properties\":{"
                 "\"replicas\":{\"type\":\"integer\"},"
                 "\"name\":{\"type\":\"string\"},"
                 "\"ratio\":{\"type\":\"number\"},"
                 "\"on\":{\"type\":\"boolean\"},"
                 "\"tags\":{\"type\":\"array\",\"items\":{\"type\":"
                 "\"string\"}},"
                 "\"env\":{\"type\":\"object\",\"additionalProperties\":"
                 "{\"type\":\"string\"}},"
                 "\"created\":{\"type\":\"string\",\"format\":"
                 "\"date-time\"},"
                 "\"any\":{\"type\":\"object\","
                 "\"x-kubernetes-preserve-unknown-fields\":true,"
                 "\"properties\":{\"a\":{\"type\":\"string\"}}},"
                 "\"ios\":{\"x-kubernetes-int-or-string\":true}}}}}",
                 json_object_to_json_string_ext(
                     rule, JSON_C_TO_STRING_PLAIN)) < 0)
      fail_msg("out of memory");
    json_object_put(rule);
    d = crd_doc(doc, &err);
    if (cases[i].want == NULL && d == NULL)
      fail_msg("%s: refused: %s", cases[i].rule, err);
    if (cases[i].want != NULL &&
        (d != NULL || strstr(err, cases[i].want) == NULL))
      fail_msg("%s: want %s, got %s", cases[i].rule, cases[i].want,
               d != NULL ? "accepted" : err);
    cp_schema_doc_free(d);
    free(err);
    free(doc);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conformance),
      cmocka_unit_test(test_kube_libraries),
      cmocka_unit_test(test_ext_libraries),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_json_bindings),
      cmocka_unit_test(test_crd_rules),
      cmocka_unit_test(test_crd_rules_list_map),
      cmocka_unit_test(test_crd_rule_compile_errors),
      cmocka_unit_test(test_crd_rule_type_check),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
