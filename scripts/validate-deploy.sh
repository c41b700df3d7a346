#!/usr/bin/env bash
# Validates deploy/ offline (no cluster, no Docker engine here):
# - the image's build context: deploy/Dockerfile COPYs every path
#   Package.swift declares and /.dockerignore excludes none of them;
# - every Kubernetes manifest against the Kubernetes 1.37 schemas
#   (kubernetes-validate --strict: unknown fields are errors);
# - the custom resources (KEDA ScaledObject/TriggerAuthentication,
#   RabbitmqCluster, the Topology Operator's User/Permission), which it has
#   no schema for, against the subsets of
#   their CRDs in deploy/k8s/schemas/ (check-jsonschema);
# - deploy/compose.yaml against the Compose specification
#   (check-jsonschema's vendored compose-spec schema);
# - Prometheus config and rules, the Grafana dashboard: well-formed, and
#   every tally_* metric they use is one the code exports; with promtool
#   installed, `promtool check rules` and the rule unit tests
#   (prometheus/alerts.test.yml), else a printed note that they were skipped.
# Tools from PyPI in a venv under .state/ (installed on first use).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
venv="$repo/.state/deploy-venv"

# The image's build context, in seconds and without an engine: every path
# Package.swift declares (each target's directory, its resources, the
# manifest) must be COPY'd by deploy/Dockerfile's build stage, before
# `swift build`, to the same place under its WORKDIR, and no file in it may
# be excluded by /.dockerignore; every other COPY source must be there too.
echo "build context:"
python3 - "$repo" <<'PY'
import os, re, sys, glob, json, shlex
repo = sys.argv[1]
os.chdir(repo)
failures = []

def code_only(text):
    """Package.swift with comments blanked (strings kept), so a commented-out
    target is not read."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1]); i = j + 1
        else:
            out.append(text[i]); i += 1
    return "".join(out)

def call_arguments(text, start):
    """The text between the parenthesis at `start` and its match."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
        i += 1
    raise SystemExit("Package.swift: unbalanced parentheses")

# What Package.swift needs: path -> why.
manifest = code_only(open("Package.swift").read())
default_root = {"target": "Sources", "executableTarget": "Sources", "systemLibrary": "Sources",
                "macro": "Sources", "testTarget": "Tests", "plugin": "Plugins"}
needed = {"Package.swift": "the manifest"}
for match in re.finditer(r"\.(target|executableTarget|testTarget|systemLibrary|macro|plugin|binaryTarget)\s*\(", manifest):
    kind = match.group(1)
    arguments = call_arguments(manifest, match.end() - 1)
    name = re.match(r'\s*name:\s*"([^"]+)"', arguments)
    if not name:
        continue
    name = name.group(1)
    path = re.search(r'\bpath:\s*"([^"]+)"', arguments)
    if kind == "binaryTarget" and not path:
        continue  # a remote binary (url:), nothing in the context
    target_path = os.path.normpath(path.group(1) if path else f"{default_root[kind]}/{name}")
    needed.setdefault(target_path, f"target {name}")
    resources = re.search(r"\bresources:\s*\[", arguments)
    if resources:
        for resource in re.findall(r'\.(?:copy|process|embedInCode)\(\s*"([^"]+)"', arguments[resources.end():]):
            needed.setdefault(os.path.normpath(f"{target_path}/{resource}"), f"a resource of target {name}")

# .dockerignore with Docker's semantics (moby/patternmatcher): patterns are
# relative to the context, `**` spans directories, a pattern that matches a
# directory excludes all under it, `!` re-includes, the last match wins.
def pattern_regex(pattern):
    regex, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                regex += "(?:.*/)?"
            else:
                regex += ".*"
            continue
        if c == "*":
            regex += "[^/]*"
        elif c == "?":
            regex += "[^/]"
        elif c == "[" and "]" in pattern[i:]:
            j = pattern.index("]", i)
            regex += "[" + pattern[i + 1:j].replace("\\", "\\\\") + "]"
            i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            regex += re.escape(pattern[i])
        else:
            regex += re.escape(c)
        i += 1
    return re.compile(regex + r"\Z")
patterns = []
if os.path.exists(".dockerignore"):
    for line in open(".dockerignore"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        body = os.path.normpath(line[1:].strip() if negated else line).lstrip("/")
        patterns.append((negated, pattern_regex(body), line))
def excluded_by(path):
    """The pattern that excludes `path` (relative to the context), or None."""
    parts = path.split("/")
    candidates = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
    verdict = None
    for negated, regex, line in patterns:
        if any(regex.match(candidate) for candidate in candidates):
            verdict = None if negated else line
    return verdict

# deploy/Dockerfile: stages, WORKDIRs, COPYs from the context, the build RUN.
instructions, pending = [], ""
for raw in open("deploy/Dockerfile"):
    line = raw.rstrip("\n")
    if not pending and (line.lstrip().startswith("#") or not line.strip()):
        continue
    if line.rstrip().endswith("\\"):
        pending += line.rstrip()[:-1] + " "
        continue
    instructions.append((pending + line).strip())
    pending = ""
stages, stage = [], None
for instruction in instructions:
    keyword, _, rest = instruction.partition(" ")
    keyword = keyword.upper()
    if keyword == "FROM":
        stage = {"from": rest, "workdir": "/", "copies": [], "build_root": None}
        stages.append(stage)
    elif keyword == "WORKDIR":
        stage["workdir"] = os.path.normpath(os.path.join(stage["workdir"], rest.strip()))
    elif keyword in ("COPY", "ADD"):
        words = json.loads(rest) if rest.strip().startswith("[") else shlex.split(rest)
        flags = [w for w in words if w.startswith("--")]
        words = [w for w in words if not w.startswith("--")]
        if any(f.startswith("--from") for f in flags):
            continue
        *sources, destination = words
        stage["copies"].append((sources, destination, stage["workdir"], stage["build_root"] is not None))
    elif keyword == "RUN" and re.search(r"\bswift build\b", rest) and stage["build_root"] is None:
        stage["build_root"] = stage["workdir"]
build_stages = [s for s in stages if s["build_root"]]
if not build_stages:
    failures.append("deploy/Dockerfile: no stage RUNs `swift build`")

# Every COPY source: present in the repository, not excluded.
for s in stages:
    for sources, destination, workdir, after_build in s["copies"]:
        for source in sources:
            source = os.path.normpath(source)
            matches = glob.glob(source) if source != "." else ["."]
            if not matches:
                failures.append(f"deploy/Dockerfile COPYs {source}, which is not in the repository")
            for match in matches:
                pattern = excluded_by(match) if match != "." else None
                if pattern:
                    failures.append(f"deploy/Dockerfile COPYs {match}, but .dockerignore excludes it ({pattern!r})")

def files_under(path):
    if os.path.isfile(path) or os.path.islink(path):
        return [path]
    return sorted(os.path.relpath(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)

checked_files = 0
for path, why in sorted(needed.items()):
    if not os.path.exists(path):
        failures.append(f"Package.swift declares {path} ({why}), which is not in the repository")
        continue
    for s in build_stages:
        root = s["build_root"]
        copied = False
        for sources, destination, workdir, after_build in s["copies"]:
            if after_build:
                continue
            target = os.path.normpath(os.path.join(workdir, destination))
            for source in sources:
                for match in (glob.glob(os.path.normpath(source)) if source != "." else ["."]):
                    match = os.path.normpath(match)
                    if match == ".":
                        placed = os.path.join(target, path)
                    elif path == match or path.startswith(match + "/"):
                        if os.path.isdir(match):
                            placed = os.path.normpath(target + path[len(match):])
                        elif destination.endswith("/") or len(sources) > 1:
                            placed = os.path.join(target, os.path.basename(match))
                        else:
                            placed = target
                    else:
                        continue
                    if os.path.normpath(placed) == os.path.normpath(os.path.join(root, path)):
                        copied = True
        if not copied:
            failures.append(f"{path} ({why}, Package.swift) is not in the image: deploy/Dockerfile's build stage "
                            f"({s['from']}) COPYs nothing that puts it at {os.path.join(root, path)} before `swift build`")
    dropped = []
    for file in files_under(path):
        checked_files += 1
        pattern = excluded_by(file)
        if pattern:
            dropped.append((file, pattern))
    if dropped:
        more = f" (and {len(dropped) - 1} more files under {path})" if len(dropped) > 1 else ""
        failures.append(f"{dropped[0][0]} ({why}, Package.swift) is excluded from the build context "
                        f"by .dockerignore ({dropped[0][1]!r}){more}")
for failure in failures:
    print(f"FAIL build context: {failure}")
if failures:
    sys.exit(1)
print(f"  {len(needed)} paths Package.swift declares ({checked_files} files): all COPY'd by deploy/Dockerfile, none excluded by .dockerignore")
PY

if [[ ! -x "$venv/bin/kubernetes-validate" || ! -x "$venv/bin/check-jsonschema" ]]; then
    echo "validate-deploy: installing kubernetes-validate, check-jsonschema into $venv (PyPI)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'kubernetes-validate>=1.31' 'check-jsonschema>=0.29' pyyaml
fi
cd "$repo/deploy"

echo "kubernetes manifests:"
"$venv/bin/kubernetes-validate" --strict --quiet k8s/*.yaml k8s/alternatives/*.yaml

"$venv/bin/python" - <<'PY'
import glob, json, re, subprocess, sys, tempfile, os, yaml
venv = os.environ.get("VIRTUAL_ENV_BIN") or os.path.join(os.path.dirname(sys.executable))
schemas = {
    ("keda.sh/v1alpha1", "ScaledObject"): "k8s/schemas/keda-scaledobject.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "k8s/schemas/keda-triggerauthentication.json",
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): "k8s/schemas/rabbitmq-cluster.json",
    ("rabbitmq.com/v1beta1", "User"): "k8s/schemas/rabbitmq-user.json",
    ("rabbitmq.com/v1beta1", "Permission"): "k8s/schemas/rabbitmq-permission.json",
}
core = re.compile(r"^(v1|apps/v1|policy/v1|autoscaling/v2|kustomize\.config\.k8s\.io/v1beta1)$")
failures = 0
checked = 0
for path in sorted(glob.glob("k8s/*.yaml") + glob.glob("k8s/alternatives/*.yaml")):
    for document in yaml.safe_load_all(open(path)):
        if not document:
            continue
        key = (document.get("apiVersion"), document.get("kind"))
        if key in schemas:
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
                json.dump(document, handle)
            result = subprocess.run([os.path.join(venv, "check-jsonschema"), "--schemafile", schemas[key], handle.name],
                                    capture_output=True, text=True)
            os.unlink(handle.name)
            if result.returncode != 0:
                print(f"FAIL {path} {key[1]}: {result.stdout}{result.stderr}")
                failures += 1
            checked += 1
        elif not core.match(key[0] or ""):
            print(f"FAIL {path}: no schema for {key}")
            failures += 1
        if key == ("kustomize.config.k8s.io/v1beta1", "Kustomization"):
            for resource in document["resources"]:
                if not os.path.exists(os.path.join("k8s", resource)):
                    print(f"FAIL {path}: resource {resource} does not exist")
                    failures += 1
print(f"custom resources: {checked} checked against deploy/k8s/schemas")

# Pod Security "restricted", which namespace.yaml enforces: the API server
# would reject a pod that misses any of these, so check every pod template
# (and the RabbitmqCluster's override of the operator's pod) here. Also: no
# image without a version or on :latest, and no `replicas` on a workload an
# autoscaler owns.
def pod_problems(where, pod):
    problems = []
    security = pod.get("securityContext") or {}
    if security.get("runAsUser") == 0 or security.get("runAsGroup") == 0:
        problems.append("pod runs as root (runAsUser/runAsGroup 0)")
    for volume in pod.get("volumes") or []:
        if "hostPath" in volume:
            problems.append(f"volume {volume['name']} is a hostPath")
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            problems.append(f"{field} is set")
    for container in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        name = container.get("name")
        own = container.get("securityContext") or {}
        def effective(key):
            return own.get(key, security.get(key))
        if effective("runAsNonRoot") is not True:
            problems.append(f"container {name}: runAsNonRoot is not true (pod or container)")
        if own.get("runAsUser") == 0:
            problems.append(f"container {name}: runAsUser 0")
        if own.get("allowPrivilegeEscalation") is not False:
            problems.append(f"container {name}: allowPrivilegeEscalation is not false")
        if own.get("privileged"):
            problems.append(f"container {name}: privileged")
        capabilities = own.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            problems.append(f"container {name}: capabilities.drop lacks ALL")
        if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            problems.append(f"container {name}: adds capabilities {capabilities['add']}")
        if (effective("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append(f"container {name}: no RuntimeDefault seccompProfile (pod or container)")
        image = container.get("image")
        if image is not None and (image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1]):
            problems.append(f"container {name}: image {image} is not pinned to a version")
    return [f"FAIL {where}: {problem}" for problem in problems]
workloads = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
scaled = set()
pods = 0
failures_before = failures
documents = []
for path in sorted(glob.glob("k8s/*.yaml") + glob.glob("k8s/alternatives/*.yaml")):
    documents += [(path, d) for d in yaml.safe_load_all(open(path)) if d]
for path, document in documents:
    if document["kind"] == "ScaledObject":
        scaled.add(document["spec"]["scaleTargetRef"]["name"])
    if document["kind"] == "HorizontalPodAutoscaler":
        scaled.add(document["spec"]["scaleTargetRef"]["name"])
for path, document in documents:
    kind, name = document["kind"], (document.get("metadata") or {}).get("name")
    if kind == "Namespace":
        labels = document["metadata"].get("labels") or {}
        if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
            print(f"FAIL {path}: namespace {name} does not enforce Pod Security restricted")
            failures += 1
    pod = None
    if kind in workloads:
        pod = document["spec"]["template"]["spec"]
        if name in scaled and "replicas" in document["spec"]:
            print(f"FAIL {path}: {kind} {name} sets replicas, but an autoscaler owns them")
            failures += 1
    elif kind == "CronJob":
        pod = document["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "Pod":
        pod = document["spec"]
    elif kind == "RabbitmqCluster":
        image = document["spec"].get("image")
        if not image or image.endswith(":latest"):
            print(f"FAIL {path}: RabbitmqCluster {name}: image not pinned")
            failures += 1
        pod = ((((document["spec"].get("override") or {}).get("statefulSet") or {}).get("spec") or {})
               .get("template") or {}).get("spec") or {}
        names = {c.get("name") for c in (pod.get("initContainers") or []) + (pod.get("containers") or [])}
        if not {"setup-container", "rabbitmq"} <= names:
            print(f"FAIL {path}: RabbitmqCluster {name}: the override must secure the operator's "
                  f"setup-container and rabbitmq containers (has {sorted(n for n in names if n)})")
            failures += 1
    if pod is not None:
        pods += 1
        for problem in pod_problems(f"{path} {kind} {name}", pod):
            print(problem)
            failures += 1
if failures == failures_before:
    print(f"pod security: {pods} pod templates meet Pod Security restricted, images pinned")

# compose.yaml, the same shapes: every service a non-root user, no
# capabilities, no privilege escalation, an image pinned to a release.
failures_before = failures
services = yaml.safe_load(open("compose.yaml"))["services"]
for name, service in services.items():
    problems = []
    image = service.get("image", "")
    if not image or image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1]:
        problems.append(f"image {image or '(none)'} is not pinned to a version")
    user = str(service.get("user", "")).split(":")[0]
    if user in ("", "0", "root"):
        problems.append("no non-root user")
    if "ALL" not in (service.get("cap_drop") or []):
        problems.append("cap_drop lacks ALL")
    if not any(str(option).replace("=", ":") in ("no-new-privileges:true", "no-new-privileges")
               for option in service.get("security_opt") or []):
        problems.append("no no-new-privileges")
    if service.get("privileged"):
        problems.append("privileged")
    for problem in problems:
        print(f"FAIL compose.yaml service {name}: {problem}")
        failures += 1
if failures == failures_before:
    print(f"compose services: {len(services)} non-root, capabilities dropped, no-new-privileges, images pinned")

# Every tally_* metric the dashboard and the rules use must exist in the code.
exported = set()
for source in glob.glob("../Sources/**/*.swift", recursive=True):
    text = open(source).read()
    exported |= set(re.findall(r'"(tally_[a-z_]+)"', text))
    for name, unit in re.findall(r'named\("(tally_[a-z_]+)", "([a-z]+)"', text):
        exported.add(f"{name}_{unit}")
def known(metric):
    return any(metric == name or metric in (name + "_bucket", name + "_count", name + "_sum") for name in exported)
used = set()
rules = yaml.safe_load(open("prometheus/alerts.yml"))
for group in rules["groups"]:
    for rule in group["rules"]:
        assert {"alert", "expr"} <= rule.keys(), rule
        used |= set(re.findall(r"\btally_[a-z_]+", rule["expr"]))
yaml.safe_load(open("prometheus/prometheus.yml"))
dashboard = json.load(open("grafana/tally-dashboard.json"))
fixed_windows = []
for panel in dashboard["panels"]:
    for target in panel["targets"]:
        used |= set(re.findall(r"\btally_[a-z_]+", target["expr"]))
        # Grafana's $__rate_interval follows the scrape interval and the
        # zoom; a fixed [1m] is empty when scrapes are a minute apart.
        fixed_windows += re.findall(r"\[\d+[smhd]\]", target["expr"])
if fixed_windows:
    print(f"FAIL dashboard queries with fixed range windows instead of $__rate_interval: {fixed_windows}")
    failures += 1
unknown = sorted(m for m in used if not known(m))
if unknown:
    print(f"FAIL metrics used in deploy/ but not exported: {unknown}")
    failures += 1
print(f"prometheus rules, dashboard: {len(used)} tally metrics, all exported")

# Every TALLY_* variable deploy/ sets must be a configuration key documented
# in Config/README.md (or one of the few variables that are not keys), so a
# renamed or misspelt key cannot silently fall back to its default.
def variable(key):
    parts = []
    for component in key.split("."):
        parts.append(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", component).upper())
    return "TALLY_" + "_".join(parts)
documented = set()
for line in open("../Config/README.md"):
    if line.startswith("| `"):
        documented |= {variable(key) for key in re.findall(r"`([a-z]+(?:\.[a-zA-Z]+)+)`", line.split("|")[1])}
not_keys = {"TALLY_LOG_FORMAT", "TALLY_LOG_LEVEL", "TALLY_CONFIG_FILE", "TALLY_AGGREGATOR_CONFIG_FILE", "TALLY_API_TOKEN",
            "TALLY_SMTP_PASSWORD"}  # the report mailer's secret, read by `tally mail reports` only
named = set()
for path in glob.glob("**/*", recursive=True):
    if os.path.isfile(path) and not path.endswith(".json"):
        named |= {(name, path) for name in re.findall(r"\bTALLY_[A-Z0-9_]*[A-Z0-9]\b", open(path).read())}
stray = sorted({f"{name} ({path})" for name, path in named if name not in documented | not_keys})
if stray:
    print(f"FAIL TALLY_* variables in deploy/ that are no configuration key (Config/README.md): {stray}")
    failures += 1
else:
    print(f"configuration variables: {len({n for n, _ in named})} used in deploy/, all documented keys")
sys.exit(1 if failures else 0)
PY

# promtool, where installed (Debian: apt-get install prometheus; or
# PROMTOOL=/path/to/promtool): the config's syntax, the rules, and the rules'
# unit tests (prometheus/alerts.test.yml: e.g. TallyNoProgress fires when
# every worker is down and no worker series exists).
promtool="${PROMTOOL:-$(command -v promtool || true)}"
if [[ -n "$promtool" ]]; then
    echo "prometheus (promtool $("$promtool" --version 2>&1 | head -n1 | awk '{print $3}')):"
    "$promtool" check config --syntax-only prometheus/prometheus.yml
    "$promtool" check rules prometheus/alerts.yml
    "$promtool" test rules prometheus/alerts.test.yml
else
    echo "prometheus: NOTE promtool not found, so promtool check rules and the rule unit tests" \
         "(prometheus/alerts.test.yml) were skipped; apt-get install prometheus provides it, or set PROMTOOL="
fi

echo "compose:"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml compose.local.yaml
echo "deploy/ valid"
