"""Package.swift says what each target depends on; the sources say what they import. They agree.

A target that imports a module it does not declare builds only by luck (another target pulled the
module in), and a declared product nobody imports is build time for nothing.
"""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
# Modules every Swift target may import without declaring them.
TOOLCHAIN = {"Foundation", "Testing", "XCTest", "Dispatch", "Glibc", "Darwin"}


def declared_dependencies():
    """{target name: set of module names it declares}, read from Package.swift."""
    text = (REPO / "Package.swift").read_text()
    targets = {}
    for match in re.finditer(r'\.(?:target|executableTarget|testTarget)\(\s*name:\s*"([^"]+)"', text):
        name = match.group(1)
        start = match.end()
        depth, end = 1, start
        while depth:
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
        body = text[start:end]
        dependencies = re.search(r"dependencies:\s*\[(.*?)\]\s*(?:,|\))", body, re.S)
        modules = set()
        if dependencies:
            modules |= set(re.findall(r'\.product\(name:\s*"([^"]+)"', dependencies.group(1)))
            modules |= set(re.findall(r'(?<![:\w])"([A-Za-z]\w*)"', re.sub(r'\.product\([^)]*\)', "", dependencies.group(1))))
        targets[name] = modules
    return targets


def imported_modules(folder):
    modules = set()
    for path in folder.rglob("*.swift"):
        for line in path.read_text().splitlines():
            found = re.match(r"\s*(?:@testable\s+)?import\s+(\w+)", line)
            if found:
                modules.add(found.group(1))
    return modules - TOOLCHAIN


def test_every_swift_target_declares_exactly_what_it_imports():
    targets = declared_dependencies()
    assert "Console" in targets and "SMTPCoreTests" in targets, targets
    for name, declared in targets.items():
        folder = REPO / ("Tests" if name.endswith("Tests") else "Sources") / name
        if not any(folder.rglob("*.swift")):
            continue  # the C targets
        imported = imported_modules(folder) - {name}
        assert imported - declared == set(), f"{name} imports {sorted(imported - declared)} without declaring it"
        assert declared - imported == set(), f"{name} declares {sorted(declared - imported)} but never imports it"
