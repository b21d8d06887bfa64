"""The W3C VC test suites, run locally against ``did-gov serve`` (``specs/conformance.md``).

``python -m conformance --mirrors DIR`` prepares the pinned suites from git snapshots into a
cache folder, starts ``did-gov serve`` with one issuer per cryptosuite and curve, runs each
suite's mocha tests, stops the server and prints passed/total per suite, tag and curve. It needs
the snapshots and Node.js, so it is not part of ``make test``.
"""
