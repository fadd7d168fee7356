// RFC 6724: the default policy table, scopes, and section 10.1's source
// address selection examples, plus the candidates that are never used.
#include "rump/netinet6/in6_src.h"

#include <vector>

#include "gtest/gtest.h"

namespace rump::inet6 {
namespace {

In6Address A(const char* s) { return In6Address::Parse(s).value(); }

SourceCandidate C(const char* addr, uint32_t flags = 0, uint32_t ifindex = 1) {
  SourceCandidate c;
  c.address = A(addr);
  c.flags = flags;
  c.ifindex = ifindex;
  return c;
}

// The address SelectSourceAddress picks through interface 1, as text.
std::string Pick(const char* dst, const std::vector<SourceCandidate>& cands) {
  const std::optional<size_t> i = SelectSourceAddress(A(dst), 1, cands);
  return i ? cands[*i].address.ToString() : "none";
}

TEST(PolicyTableTest, DefaultTable) {
  struct Case {
    const char* addr;
    int precedence, label;
  };
  for (const Case& c : {Case{"::1", 50, 0}, Case{"2001:db8::1", 40, 1}, Case{"::ffff:10.0.0.1", 35, 4},
                        Case{"2002:c633:6401::1", 30, 2}, Case{"2001:0:4136:e378::1", 5, 5},
                        Case{"fd00::1", 3, 13}, Case{"fc00::1", 3, 13}, Case{"::10.0.0.1", 1, 3},
                        Case{"fec0::1", 1, 11}, Case{"3ffe::1", 1, 12}, Case{"fe80::1", 40, 1},
                        Case{"ff02::1", 40, 1}, Case{"::", 1, 3}}) {
    const Policy p = LookupPolicy(A(c.addr));
    EXPECT_EQ(p.precedence, c.precedence) << c.addr;
    EXPECT_EQ(p.label, c.label) << c.addr;
  }
  // A table of one's own.
  const PolicyEntry mine[] = {{A("2001:db8::"), 32, 7, 9}};
  EXPECT_EQ(LookupPolicy(A("2001:db8::5"), mine).label, 9);
  EXPECT_EQ(LookupPolicy(A("2001:db9::5"), mine).label, 0);
}

TEST(AddressScopeTest, Rfc6724Scopes) {
  EXPECT_EQ(AddressScope(A("ff01::1")), kScopeInterfaceLocal);
  EXPECT_EQ(AddressScope(A("ff02::1")), kScopeLinkLocal);
  EXPECT_EQ(AddressScope(A("ff05::1")), kScopeSiteLocal);
  EXPECT_EQ(AddressScope(A("ff0e::1")), kScopeGlobal);
  EXPECT_EQ(AddressScope(A("fe80::1")), kScopeLinkLocal);
  EXPECT_EQ(AddressScope(A("::1")), kScopeLinkLocal);
  EXPECT_EQ(AddressScope(A("fec0::1")), kScopeSiteLocal);
  EXPECT_EQ(AddressScope(A("fd00::1")), kScopeGlobal);
  EXPECT_EQ(AddressScope(A("2001:db8::1")), kScopeGlobal);
  EXPECT_EQ(AddressScope(A("::ffff:127.0.0.1")), kScopeLinkLocal);
  EXPECT_EQ(AddressScope(A("::ffff:169.254.1.1")), kScopeLinkLocal);
  EXPECT_EQ(AddressScope(A("::ffff:10.1.2.3")), kScopeGlobal);
}

TEST(SourceSelectionTest, Rfc6724Examples) {
  // RFC 6724 10.1.
  EXPECT_EQ(Pick("2001:db8:1::1", {C("2001:db8:3::1"), C("fe80::1")}), "2001:db8:3::1");  // 2
  EXPECT_EQ(Pick("2001:db8:1::1", {C("fe80::1"), C("2001:db8:3::1")}), "2001:db8:3::1");
  EXPECT_EQ(Pick("ff05::1", {C("2001:db8:3::1"), C("fe80::1")}), "2001:db8:3::1");  // 2
  EXPECT_EQ(Pick("2001:db8:1::1",
                 {C("2001:db8:2::1"), C("2001:db8:1::1", SourceCandidate::kDeprecated)}),
            "2001:db8:1::1");  // 1
  EXPECT_EQ(Pick("fe80::1", {C("2001:db8:1::1"), C("fe80::2", SourceCandidate::kDeprecated)}),
            "fe80::2");  // 2
  EXPECT_EQ(Pick("2001:db8:1::1", {C("2001:db8:3::2"), C("2001:db8:1::2")}),
            "2001:db8:1::2");  // 8
  EXPECT_EQ(Pick("2002:c633:6401::1", {C("2001:db8:1::2"), C("2002:c633:6401::d5e3:7953:13eb:22e8")}),
            A("2002:c633:6401::d5e3:7953:13eb:22e8").ToString());  // 6
}

TEST(SourceSelectionTest, RulesInOrder) {
  // Rule 2, the other way: a global destination, a site-local and a
  // global candidate: the global one.
  EXPECT_EQ(Pick("2001:db8::9", {C("fec0::1"), C("2001:db9::1")}), "2001:db9::1");
  // A site-local destination with link-local and global candidates: the
  // smallest scope at least the destination's (site < global).
  EXPECT_EQ(Pick("fec0::9", {C("2001:db8::1"), C("fec0::1"), C("fe80::1")}), "fec0::1");
  // Rule 3 before rule 8.
  EXPECT_EQ(Pick("2001:db8:1::1",
                 {C("2001:db8:1::2", SourceCandidate::kDeprecated), C("2001:db8:3::2")}),
            "2001:db8:3::2");
  // Rule 5 before rule 6 and 8: the outgoing interface's address.
  EXPECT_EQ(Pick("2001:db8:1::1", {C("2001:db8:1::2", 0, 2), C("2001:db8:3::2", 0, 1)}),
            "2001:db8:3::2");
  // Rule 6: a 6to4 source for a native destination loses.
  EXPECT_EQ(Pick("2001:db8:1::d5e3:0:0:1", {C("2002:c633:6401::2"), C("2001:db8:1::2")}),
            "2001:db8:1::2");
  // Rule 6 before rule 8.
  EXPECT_EQ(Pick("fd00:1::1", {C("fd00:1::2"), C("2001:db8::2")}), "fd00:1::2");
  EXPECT_EQ(Pick("2001:db8:1::1", {C("fd00:1::2"), C("2001:db8:2::2")}), "2001:db8:2::2");
  // Rule 8 counts at most the source's prefix length.
  SourceCandidate near = C("2001:db8:1:1::2"), far = C("2001:db8:1:2::2");
  EXPECT_EQ(Pick("2001:db8:1:1::1", {far, near}), "2001:db8:1:1::2");  // 64 vs 62
  near.prefix_len = 40;
  EXPECT_EQ(Pick("2001:db8:1:1::1", {near, far}), "2001:db8:1:2::2");  // 40 vs 62
  far.prefix_len = 32;
  EXPECT_EQ(Pick("2001:db8:1:1::1", {far, near}), "2001:db8:1:1::2");  // 40 vs 32
  // A tie keeps the first.
  EXPECT_EQ(Pick("2001:db8::1", {C("2001:db8::2"), C("2001:db8::3")}), "2001:db8::2");
}

TEST(SourceSelectionTest, UnusableCandidates) {
  EXPECT_EQ(Pick("2001:db8::1", {}), "none");
  EXPECT_EQ(Pick("2001:db8::1", {C("2001:db8::2", SourceCandidate::kTentative),
                                 C("2001:db8::3", SourceCandidate::kDuplicated),
                                 C("2001:db8::4", SourceCandidate::kAnycast), C("ff02::1"),
                                 C("::")}),
            "none");
  EXPECT_EQ(Pick("2001:db8::1", {C("2001:db8::2", SourceCandidate::kTentative), C("fe80::1")}),
            "fe80::1");
  // A deprecated address is still usable when it is all there is.
  EXPECT_EQ(Pick("2001:db8::1", {C("2001:db8::2", SourceCandidate::kDeprecated)}), "2001:db8::2");
  // Link-local destinations only from the outgoing interface.
  EXPECT_EQ(Pick("fe80::1", {C("fe80::2", 0, 2), C("2001:db8::2", 0, 3)}), "none");
  EXPECT_EQ(Pick("ff02::1", {C("fe80::2", 0, 2), C("fe80::3", 0, 1)}), "fe80::3");
  // Global destinations may use another interface's address.
  EXPECT_EQ(Pick("2001:db8::1", {C("2001:db8::2", 0, 2)}), "2001:db8::2");
}

}  // namespace
}  // namespace rump::inet6
