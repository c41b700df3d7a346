#!/usr/bin/env bash
# Validates deploy/ offline (no cluster, no Docker engine here):
# - every Kubernetes manifest against the Kubernetes 1.37 schemas
#   (kubernetes-validate --strict: unknown fields are errors);
# - the custom resources (KEDA ScaledObject/TriggerAuthentication,
#   RabbitmqCluster), which it has no schema for, against the subsets of
#   their CRDs in deploy/k8s/schemas/ (check-jsonschema);
# - deploy/compose.yaml against the Compose specification
#   (check-jsonschema's vendored compose-spec schema);
# - Prometheus config and rules, the Grafana dashboard: well-formed, and
#   every tally_* metric they use is one the code exports.
# Tools from PyPI in a venv under .state/ (installed on first use).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd "$here/.." && pwd -P)"
venv="$repo/.state/deploy-venv"
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
for panel in dashboard["panels"]:
    for target in panel["targets"]:
        used |= set(re.findall(r"\btally_[a-z_]+", target["expr"]))
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
not_keys = {"TALLY_LOG_FORMAT", "TALLY_CONFIG_FILE", "TALLY_AGGREGATOR_CONFIG_FILE", "TALLY_API_TOKEN"}
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

echo "compose:"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml
echo "deploy/ valid"
