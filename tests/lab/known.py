"""What the lab shows wrong today: each entry names the tests that fail because of
one backend defect and why. They are marked strict xfail (conftest.py), so they
still run, and a fix that makes one pass fails the run until its entry goes.

Keys are `FILE::TEST[ID]` patterns: fnmatch on `FILE::TEST` and on `ID` apart
(fnmatch would read the brackets as a character class).
"""

from __future__ import annotations

import fnmatch

RA_LEFT_ON = ("ifupdown leaves router advertisements on (accept_ra stays 1): the kernel "
              "takes the routers' SLAAC addresses and default routes, and at boot the "
              "spec's IPv6 main default route fails with 'File exists', so ifup stops "
              "before the uplink rules")
LAN_REPLIES = ("uplink tables miss the main table's specific routes: a reply from an uplink "
               "address to the LAN follows the uplink's default route and leaves by the ISP")

_RA = "ifupdown*"
KNOWN: dict[str, str] = {
    f"test_lab.py::test_kernel_state_is_the_spec[*-{_RA}]": RA_LEFT_ON,
    f"test_lab.py::test_client_reaches_every_uplink_address[dual-stack-{_RA}]": RA_LEFT_ON,
    f"test_lab.py::test_client_reaches_every_uplink_address[two-uplinks-mgmt-lan-{_RA}]":
        RA_LEFT_ON,
    "test_lab.py::test_backends_agree[two-uplinks]": RA_LEFT_ON,
    "test_lab.py::test_backends_agree[dual-stack]": RA_LEFT_ON,
    "test_lab.py::test_backends_agree[two-uplinks-mgmt-lan]": RA_LEFT_ON,
    f"test_lab.py::test_without_uplinks_only_the_default_uplink_answers[dual-stack-{_RA}]":
        RA_LEFT_ON,
    "test_lab.py::test_without_uplinks_only_the_default_uplink_answers"
    f"[two-uplinks-mgmt-lan-{_RA}]": RA_LEFT_ON,
    f"test_lab.py::test_reapplying_a_changed_spec_leaves_nothing_stale[*-{_RA}]": RA_LEFT_ON,
    "test_lab.py::test_ifdown_restores_the_kernel_state[*]": RA_LEFT_ON,
    # A realistic host: every ifupdown check stops at ifup; every backend sends LAN
    # replies out of the uplink.
    "test_realistic.py::*[ifupdown-*]": RA_LEFT_ON,
    "test_realistic.py::test_lan_client_gets_its_replies_through_the_lan[*]": LAN_REPLIES,
}


def known_failure(test: str) -> str | None:
    """The defect behind `test` (`FILE::NAME[ID]`), if the lab shows one today."""
    name, _, ident = test.partition("[")
    for pattern, reason in KNOWN.items():
        pattern_name, _, pattern_ident = pattern.partition("[")
        if (fnmatch.fnmatchcase(name, pattern_name)
                and fnmatch.fnmatchcase(ident.rstrip("]"), pattern_ident.rstrip("]"))):
            return reason
    return None
