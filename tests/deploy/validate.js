#!/usr/bin/env node
// Checks otelbpf's deployment files offline, as a cluster and systemd would, before anyone
// applies them:
//   1. every YAML document in deploy/kubernetes/*.yaml parses (YAML 1.1, as Kubernetes reads it);
//   2. each is validated against the Kubernetes API's own OpenAPI schema (kubernetes-models),
//      dispatched by apiVersion and kind; an unknown apiVersion or kind fails, never skips;
//   3. no field unknown to the API (kubectl's strict field validation refuses them, the
//      schema alone does not): each document is type-checked against kubernetes-models'
//      TypeScript types, whose excess-property check finds misspelled or misplaced fields;
//   4. otelbpf's own policy: least privilege (no privileged container, every capability
//      dropped but the ones the agent needs, read-only root and host mounts, resources set,
//      RBAC read-only on pods and replicasets) and consistency (names that refer to each other,
//      ports, environment variables the agent documents);
//   5. deploy/systemd/otelbpf.service passes `systemd-analyze verify` with no complaint, holds
//      the same capabilities, and none of the hardening options that would blind the agent.
// Usage: node validate.js [--k8s-dir DIR] [--unit FILE] [--defaults FILE]
// Prints one line per check and "N passed, N failed"; exits 1 when any check failed.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const YAML = require("yaml");
const ts = require("typescript");

const REPO = path.resolve(__dirname, "..", "..");

// ---- what the policy allows --------------------------------------------------------------

// Capabilities `otelbpf run` needs in every deployment (docs/reliability.md, deploy/README.md).
const REQUIRED_CAPABILITIES = ["BPF", "PERFMON", "SYS_PTRACE", "DAC_READ_SEARCH"];
// Allowed only together with the flag that needs it.
const CONDITIONAL_CAPABILITIES = { NET_ADMIN: "--propagate=headers" };
// Host paths the agent may see, all read-only.
const ALLOWED_HOST_PATHS = ["/sys/kernel/tracing", "/sys/fs/cgroup"];
const ALLOWED_VOLUME_TYPES = ["hostPath", "configMap", "secret", "emptyDir", "projected", "downwardAPI"];
// RBAC: read-only, on exactly these resources ("group/resource", "" for the core group).
const ALLOWED_RBAC_VERBS = ["get", "list", "watch"];
const REQUIRED_RBAC_RESOURCES = ["/pods", "apps/replicasets", "batch/jobs"];
// ConfigMap keys the issue asks for: OTLP endpoint, sampling, protocols.
const REQUIRED_CONFIG_KEYS = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
                              "OTEL_EBPF_PROTOCOLS"];
const CLUSTER_SCOPED_KINDS = ["Namespace", "ClusterRole", "ClusterRoleBinding"];
// systemd options that would hide processes, the network or the capabilities from the agent.
const FORBIDDEN_UNIT_OPTIONS = {
  ProtectProc: /^(invisible|noaccess|ptraceable)$/,
  ProcSubset: /^pid$/,
  PrivateNetwork: /^(yes|true|on|1)$/,
  PrivateUsers: /^(yes|true|on|1|self|identity|full)$/,
  IPAddressDeny: /./,
};

// ---- results -----------------------------------------------------------------------------

const results = { passed: 0, failed: 0 };

function check(name, fn) {
  let problems;
  try {
    problems = fn() || [];
  } catch (error) {
    problems = [`${error.message}`];
  }
  if (problems.length === 0) {
    results.passed++;
    console.log(`ok    ${name}`);
  } else {
    results.failed++;
    console.log(`FAIL  ${name}`);
    for (const p of problems) console.log(`        ${p.replace(/\n/g, "\n        ")}`);
  }
}

// ---- arguments ---------------------------------------------------------------------------

function parseArgs(argv) {
  const args = {
    k8sDir: path.join(REPO, "deploy", "kubernetes"),
    unit: path.join(REPO, "deploy", "systemd", "otelbpf.service"),
    defaults: path.join(REPO, "deploy", "systemd", "otelbpf.default"),
  };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--k8s-dir" && value) args.k8sDir = path.resolve(value), i++;
    else if (argv[i] === "--unit" && value) args.unit = path.resolve(value), i++;
    else if (argv[i] === "--defaults" && value) args.defaults = path.resolve(value), i++;
    else throw new Error(`unknown argument ${argv[i]} (use --k8s-dir DIR, --unit FILE, --defaults FILE)`);
  }
  return args;
}

// ---- loading -----------------------------------------------------------------------------

function loadManifests(dir) {
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  if (files.length === 0) throw new Error(`no *.yaml in ${dir}`);
  const docs = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    const label = path.relative(REPO, path.join(dir, file));
    // YAML 1.1 as Kubernetes (sigs.k8s.io/yaml) reads it: `yes`, `on` are booleans there.
    const parsed = YAML.parseAllDocuments(text, { version: "1.1", uniqueKeys: true, prettyErrors: true });
    const list = Array.isArray(parsed) ? parsed : [];
    let found = 0;
    list.forEach((doc, index) => {
      const where = `${label} document ${index + 1}`;
      const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
      if (problems.length) {
        docs.push({ where, file: label, index, problems });
        return;
      }
      const object = doc.toJS({ maxAliasCount: 0 });
      if (object === null || object === undefined) return;  // an empty document between `---`
      found++;
      docs.push({ where, file: label, index, object });
    });
    if (found === 0) docs.push({ where: label, file: label, index: 0, problems: ["holds no Kubernetes object"] });
  }
  return docs;
}

function describe(doc) {
  const o = doc.object || {};
  const name = o.metadata && o.metadata.name;
  const ns = o.metadata && o.metadata.namespace;
  return `${doc.where}: ${o.kind || "?"} ${ns ? ns + "/" : ""}${name || "?"}`;
}

// ---- schema ------------------------------------------------------------------------------

// The kubernetes-models module of an apiVersion ("v1", "apps/v1", "rbac.authorization.k8s.io/v1").
function modelModulePath(apiVersion) {
  if (typeof apiVersion !== "string" || !/^([a-z0-9-]+(\.[a-z0-9-]+)*\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) {
    throw new Error(`apiVersion ${JSON.stringify(apiVersion)} is not a Kubernetes API version`);
  }
  return `kubernetes-models/${apiVersion}`;
}

function modelClass(apiVersion, kind) {
  const modulePath = modelModulePath(apiVersion);
  let module;
  try {
    module = require(modulePath);
  } catch (error) {
    if (error.code === "MODULE_NOT_FOUND" || error.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") throw new Error(`unknown apiVersion ${apiVersion}: kubernetes-models has no ${modulePath}`);
    throw error;
  }
  const cls = typeof kind === "string" && Object.prototype.hasOwnProperty.call(module, kind) ? module[kind] : undefined;
  if (typeof cls !== "function" || cls.kind !== kind || cls.apiVersion !== apiVersion) {
    throw new Error(`unknown kind ${JSON.stringify(kind)} in ${apiVersion}`);
  }
  return cls;
}

function validateSchema(doc) {
  const { apiVersion, kind } = doc.object;
  const cls = modelClass(apiVersion, kind);
  try {
    new cls(doc.object).validate();
  } catch (error) {
    return String(error.message).split(", ").map((m) => `schema: ${m}`);
  }
  return [];
}

// Unknown fields: each document becomes `const manifest: IKind = <its JSON>;` in a virtual
// TypeScript file; TypeScript reports every property its type does not declare.
function unknownFieldProblems(docs) {
  const virtualDir = path.join(__dirname, "__manifests__");
  const sources = new Map();
  docs.forEach((doc, i) => {
    const { apiVersion, kind } = doc.object;
    const typesFile = path.join(path.dirname(require.resolve("kubernetes-models/package.json")), apiVersion, `${kind}.d.ts`);
    if (!fs.existsSync(typesFile)) {
      doc.fieldProblems = [`no TypeScript type for ${apiVersion} ${kind} in kubernetes-models`];
      return;
    }
    const fileName = path.join(virtualDir, `doc${i}.ts`);
    const text = `import type { I${kind} } from "kubernetes-models/${apiVersion}/${kind}";\n` +
                 `export const manifest: I${kind} = ${JSON.stringify(doc.object, null, 2)};\n`;
    sources.set(fileName, { text, doc });
    doc.fieldProblems = [];
  });
  const options = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2020, lib: ["lib.es2020.d.ts"],
  };
  const host = ts.createCompilerHost(options);
  const realGetSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const virtual = sources.get(path.resolve(fileName));
    if (virtual) return ts.createSourceFile(fileName, virtual.text, languageVersion, true);
    return realGetSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  const realFileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => sources.has(path.resolve(fileName)) || realFileExists(fileName);
  const realReadFile = host.readFile.bind(host);
  host.readFile = (fileName) => (sources.has(path.resolve(fileName)) ? sources.get(path.resolve(fileName)).text : realReadFile(fileName));
  const program = ts.createProgram([...sources.keys()], options, host);
  const global = program.getGlobalDiagnostics().concat(program.getOptionsDiagnostics());
  if (global.length) throw new Error(global.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"));
  for (const [fileName, { doc }] of sources) {
    const sourceFile = program.getSourceFile(fileName);
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    for (const d of diagnostics) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
      doc.fieldProblems.push(`field ${jsonPathAt(sourceFile, d.start)}: ${message}`);
    }
  }
}

// The path of the property at a position of a generated file: spec.template.spec.containers[0].x
function jsonPathAt(sourceFile, position) {
  const parts = [];
  let node = sourceFile;
  for (;;) {
    const child = node.getChildren(sourceFile).find((c) => c.getStart(sourceFile) <= position && position < c.getEnd());
    if (!child) break;
    if (ts.isPropertyAssignment(child)) parts.push(`.${child.name.text}`);
    if (ts.isArrayLiteralExpression(node) && child.kind === ts.SyntaxKind.SyntaxList) {
      const index = child.getChildren(sourceFile).filter((c) => c.kind !== ts.SyntaxKind.CommaToken)
        .findIndex((c) => c.getStart(sourceFile) <= position && position < c.getEnd());
      if (index >= 0) parts.push(`[${index}]`);
    }
    node = child;
  }
  return parts.join("").replace(/^\./, "") || "(document)";
}

// ---- policy helpers ----------------------------------------------------------------------

function find(docs, kind, name, namespace) {
  return docs.find((d) => d.object && d.object.kind === kind && d.object.metadata && d.object.metadata.name === name &&
    (namespace === undefined || d.object.metadata.namespace === namespace));
}

// Resource quantity in base units (cores, bytes); NaN when unparseable.
function quantity(value) {
  const m = String(value).match(/^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/);
  if (!m) return NaN;
  const scale = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}

// Environment variable names the agent documents: docs/configuration.md and `otelbpf run --help`
// (src/cli/main.cc), with their shorthands expanded: OTEL_EXPORTER_OTLP[_TRACES]_{ENDPOINT,PROTOCOL}.
function documentedEnvNames() {
  const text = ["docs/configuration.md", "docs/config-reference.md", "src/cli/main.cc"].map((f) => fs.readFileSync(path.join(REPO, f), "utf8")).join("\n");
  const expand = (pattern) => {
    const m = pattern.match(/\[([A-Z0-9_]+)\]|\{([A-Z0-9_,]+)\}/);
    if (!m) return [pattern];
    const before = pattern.slice(0, m.index);
    const after = pattern.slice(m.index + m[0].length);
    const alternatives = m[1] !== undefined ? ["", m[1]] : m[2].split(",");
    return alternatives.flatMap((a) => expand(before + a + after));
  };
  const names = new Set();
  for (const m of text.matchAll(/OTEL_[A-Z0-9_]*(?:(?:\[[A-Z0-9_]+\]|\{[A-Z0-9_,]+\})[A-Z0-9_]*)*/g)) {
    for (const name of expand(m[0])) names.add(name.replace(/_+$/, ""));
  }
  return names;
}

function isLoopback(host) {
  return /^(127\.|localhost$|::1$|\[::1\]$)/.test(String(host));
}

function hasPropagation(args) {
  const list = args || [];
  return list.some((a, i) => a === "--propagate=headers" || (a === "--propagate" && list[i + 1] === "headers"));
}

// ---- policy: Kubernetes ------------------------------------------------------------------

function namespacePolicy(docs, doc) {
  const o = doc.object;
  const ns = o.metadata && o.metadata.namespace;
  if (CLUSTER_SCOPED_KINDS.includes(o.kind)) return ns ? [`${o.kind} is cluster-scoped: remove metadata.namespace`] : [];
  if (!ns) return ["metadata.namespace is not set (kubectl would put it in whatever namespace is current)"];
  return find(docs, "Namespace", ns) ? [] : [`namespace ${ns} is not defined by any manifest`];
}

function configMapPolicy(docs, doc) {
  const problems = [];
  const data = doc.object.data || {};
  const documented = documentedEnvNames();
  for (const key of Object.keys(data)) {
    if (!documented.has(key)) problems.push(`${key}: not an environment variable otelbpf documents (docs/configuration.md, run --help)`);
  }
  for (const key of REQUIRED_CONFIG_KEYS) if (!(key in data)) problems.push(`${key} is missing`);
  if ("OTEL_TRACES_SAMPLER_ARG" in data) {
    const ratio = Number(data.OTEL_TRACES_SAMPLER_ARG);
    if (!(ratio >= 0 && ratio <= 1)) problems.push(`OTEL_TRACES_SAMPLER_ARG=${data.OTEL_TRACES_SAMPLER_ARG} is not a ratio from 0 to 1`);
  }
  if (data.OTEL_EXPORTER_OTLP_HEADERS) problems.push("OTEL_EXPORTER_OTLP_HEADERS holds credentials: keep it in a Secret, not a ConfigMap");
  return problems;
}

function clusterRolePolicy(docs, doc) {
  const problems = [];
  const granted = new Set();
  for (const [i, rule] of (doc.object.rules || []).entries()) {
    const where = `rules[${i}]`;
    if (rule.nonResourceURLs) problems.push(`${where}: nonResourceURLs are not needed`);
    for (const verb of rule.verbs || []) {
      if (!ALLOWED_RBAC_VERBS.includes(verb)) problems.push(`${where}: verb ${verb} (only ${ALLOWED_RBAC_VERBS.join(", ")})`);
    }
    for (const group of rule.apiGroups || []) {
      for (const resource of rule.resources || []) {
        const key = `${group}/${resource}`;
        if (!REQUIRED_RBAC_RESOURCES.includes(key)) problems.push(`${where}: resource ${key} is not needed (only ${REQUIRED_RBAC_RESOURCES.join(", ")})`);
        else for (const verb of rule.verbs || []) granted.add(`${key}:${verb}`);
      }
    }
  }
  for (const resource of REQUIRED_RBAC_RESOURCES) {
    for (const verb of ALLOWED_RBAC_VERBS) {
      if (!granted.has(`${resource}:${verb}`)) problems.push(`${verb} on ${resource} is not granted (the Kubernetes metadata needs it)`);
    }
  }
  return problems;
}

function clusterRoleBindingPolicy(docs, doc) {
  const problems = [];
  const { roleRef, subjects } = doc.object;
  if (!roleRef || roleRef.kind !== "ClusterRole" || !find(docs, "ClusterRole", roleRef.name)) {
    problems.push(`roleRef ${JSON.stringify(roleRef)} names no ClusterRole of these manifests`);
  }
  if (!subjects || subjects.length === 0) problems.push("no subjects");
  for (const s of subjects || []) {
    if (s.kind !== "ServiceAccount" || !find(docs, "ServiceAccount", s.name, s.namespace)) {
      problems.push(`subject ${JSON.stringify(s)} is not a ServiceAccount of these manifests`);
    }
  }
  return problems;
}

function containerPolicy(docs, pod, container, configData) {
  const problems = [];
  const at = (m) => problems.push(`container ${container.name}: ${m}`);
  const sc = container.securityContext || {};
  if (sc.privileged !== false) at("securityContext.privileged must be false (set explicitly)");
  if (sc.allowPrivilegeEscalation !== false) at("securityContext.allowPrivilegeEscalation must be false");
  if (sc.readOnlyRootFilesystem !== true) at("securityContext.readOnlyRootFilesystem must be true");

  // Capabilities: drop ALL, add exactly what the agent needs.
  const caps = sc.capabilities || {};
  if (!(caps.drop || []).includes("ALL")) at("capabilities.drop must include ALL");
  const added = caps.add || [];
  for (const cap of added) {
    if (/^CAP_/i.test(cap) || cap !== cap.toUpperCase()) at(`capability ${cap}: write it as Kubernetes does, upper case without CAP_`);
  }
  const propagate = hasPropagation(container.args);
  for (const cap of REQUIRED_CAPABILITIES) if (!added.includes(cap)) at(`capability ${cap} is missing: otelbpf needs it`);
  for (const cap of added) {
    if (REQUIRED_CAPABILITIES.includes(cap)) continue;
    const flag = CONDITIONAL_CAPABILITIES[cap];
    if (!flag) at(`capability ${cap} is not needed by otelbpf`);
    else if (!propagate) at(`capability ${cap} is only needed with ${flag}, which is not set`);
  }
  if (propagate && !added.includes("NET_ADMIN")) at("--propagate=headers needs capability NET_ADMIN");

  // Seccomp: the runtime's profile (pod or container level), never Unconfined.
  const seccomp = (sc.seccompProfile || (pod.securityContext || {}).seccompProfile || {}).type;
  if (seccomp !== "RuntimeDefault") at(`seccompProfile is ${seccomp || "unset"}: use RuntimeDefault`);

  // Resources.
  const res = container.resources || {};
  for (const kind of ["requests", "limits"]) {
    for (const r of ["cpu", "memory"]) {
      const value = (res[kind] || {})[r];
      if (value === undefined) at(`resources.${kind}.${r} is not set`);
      else if (Number.isNaN(quantity(value))) at(`resources.${kind}.${r}=${value} is not a quantity`);
    }
  }
  for (const r of ["cpu", "memory"]) {
    const request = quantity((res.requests || {})[r]);
    const limit = quantity((res.limits || {})[r]);
    if (request > limit) at(`resources.requests.${r} exceeds resources.limits.${r}`);
  }

  // Ports: in the pod's own network namespace only.
  for (const port of container.ports || []) if (port.hostPort) at(`port ${port.containerPort}: no hostPort (the pod has its own address)`);

  // Volumes: defined, and host paths read-only.
  const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
  for (const mount of container.volumeMounts || []) {
    const volume = volumes.get(mount.name);
    if (!volume) at(`volumeMount ${mount.name}: no such volume`);
    else if (volume.hostPath && mount.readOnly !== true) at(`volumeMount ${mount.name} (host ${volume.hostPath.path}): must be readOnly`);
    if (mount.mountPropagation === "Bidirectional") at(`volumeMount ${mount.name}: Bidirectional propagation is not needed`);
  }

  // Environment: what envFrom brings, names the agent documents, $(VAR) references that resolve.
  const documented = documentedEnvNames();
  const known = new Set();
  for (const source of container.envFrom || []) {
    if (source.configMapRef) {
      const cm = find(docs, "ConfigMap", source.configMapRef.name, pod.namespace);
      if (!cm && !source.configMapRef.optional) at(`envFrom: ConfigMap ${source.configMapRef.name} is not in these manifests`);
      if (cm) for (const k of Object.keys(cm.object.data || {})) known.add(k);
    }
    if (source.secretRef && !source.secretRef.optional && !find(docs, "Secret", source.secretRef.name, pod.namespace)) {
      at(`envFrom: Secret ${source.secretRef.name} is not shipped: mark it optional`);
    }
  }
  const env = container.env || [];
  const referenced = new Set();
  for (const e of env) for (const m of String(e.value || "").matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) referenced.add(m[1]);
  for (const e of env) {
    if (e.name.startsWith("OTEL_") && !documented.has(e.name)) at(`env ${e.name}: not an environment variable otelbpf documents`);
    if (!e.name.startsWith("OTEL_") && !referenced.has(e.name)) at(`env ${e.name}: neither read by otelbpf nor referenced by another variable`);
    for (const m of String(e.value || "").matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      if (!known.has(m[1])) at(`env ${e.name}: $(${m[1]}) is not defined before it`);
    }
    known.add(e.name);
  }
  const nodeName = env.find((e) => e.name === "NODE_NAME");
  if (!nodeName || !nodeName.valueFrom || !nodeName.valueFrom.fieldRef || nodeName.valueFrom.fieldRef.fieldPath !== "spec.nodeName") {
    at("env NODE_NAME must come from the downward API (fieldRef spec.nodeName)");
  }
  const attributes = env.find((e) => e.name === "OTEL_RESOURCE_ATTRIBUTES");
  if (!attributes || !/(^|,)k8s\.node\.name=\$\(NODE_NAME\)(,|$)/.test(attributes.value || "")) {
    at("env OTEL_RESOURCE_ATTRIBUTES must carry k8s.node.name=$(NODE_NAME)");
  }

  // Prometheus: served on an address other pods can reach, on the declared port.
  const effective = (name) => {
    const e = env.find((x) => x.name === name);
    return e ? e.value : configData[name];
  };
  const exporters = effective("OTEL_METRICS_EXPORTER");
  if (exporters === undefined || /(^|,)\s*prometheus\s*(,|$)/.test(exporters)) {
    const host = effective("OTEL_EXPORTER_PROMETHEUS_HOST");
    const port = Number(effective("OTEL_EXPORTER_PROMETHEUS_PORT") || 9464);
    if (host === undefined || isLoopback(host)) at(`OTEL_EXPORTER_PROMETHEUS_HOST=${host || "(default 127.0.0.1)"}: Prometheus could not scrape it from outside the pod`);
    if (!(container.ports || []).some((p) => p.containerPort === port)) at(`no containerPort ${port} declared for the Prometheus endpoint`);
  }
  return problems;
}

function daemonSetPolicy(docs, doc) {
  const problems = [];
  const ds = doc.object;
  const template = (ds.spec && ds.spec.template) || {};
  const pod = { ...(template.spec || {}), namespace: ds.metadata.namespace };
  if (pod.hostPID !== true) problems.push("hostPID must be true: the agent reads /proc of the host's processes");
  if (pod.hostNetwork === true) problems.push("hostNetwork is not needed (eBPF sees every network namespace)");
  if (pod.hostIPC === true) problems.push("hostIPC is not needed");
  if (!(pod.tolerations || []).some((t) => t.operator === "Exists" && !t.key && !t.effect)) {
    problems.push("tolerations: an `operator: Exists` toleration is needed to run on every node");
  }
  const sa = pod.serviceAccountName;
  if (!sa || !find(docs, "ServiceAccount", sa, pod.namespace)) problems.push(`serviceAccountName ${sa} is not a ServiceAccount of these manifests`);
  const selector = ((ds.spec || {}).selector || {}).matchLabels || {};
  const labels = (template.metadata || {}).labels || {};
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) problems.push(`selector ${k}=${v} does not match the pod template's labels`);
  for (const v of pod.volumes || []) {
    const type = Object.keys(v).find((k) => k !== "name");
    if (!ALLOWED_VOLUME_TYPES.includes(type)) problems.push(`volume ${v.name}: ${type} volumes are not needed`);
    if (v.hostPath && !ALLOWED_HOST_PATHS.includes(v.hostPath.path)) problems.push(`volume ${v.name}: host path ${v.hostPath.path} is not one the agent needs (${ALLOWED_HOST_PATHS.join(", ")})`);
  }
  const containers = [...(pod.initContainers || []), ...(pod.containers || [])];
  if (containers.length === 0) problems.push("no containers");
  for (const c of pod.containers || []) {
    const envFromConfig = (c.envFrom || []).map((s) => s.configMapRef && find(docs, "ConfigMap", s.configMapRef.name, pod.namespace)).filter(Boolean);
    const configData = Object.assign({}, ...envFromConfig.map((d) => d.object.data || {}));
    problems.push(...containerPolicy(docs, pod, c, configData));
  }
  for (const c of pod.initContainers || []) problems.push(...containerPolicy(docs, pod, c, {}));
  return problems;
}

const POLICIES = {
  Namespace: () => [],
  ServiceAccount: () => [],
  ConfigMap: configMapPolicy,
  ClusterRole: clusterRolePolicy,
  ClusterRoleBinding: clusterRoleBindingPolicy,
  DaemonSet: daemonSetPolicy,
};

// ---- systemd -----------------------------------------------------------------------------

// A unit file as {section: {key: [values]}} (continuation lines joined, comments dropped).
function parseUnit(text) {
  const sections = {};
  let current = null;
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const section = line.match(/^\[(.+)\]$/);
    if (section) { current = sections[section[1]] = sections[section[1]] || {}; continue; }
    const kv = line.match(/^([A-Za-z0-9]+)\s*=\s*(.*)$/);
    if (!kv || !current) throw new Error(`cannot parse unit line: ${line}`);
    (current[kv[1]] = current[kv[1]] || []).push(kv[2]);
  }
  return sections;
}

function systemdAnalyzeVerify(unitFile) {
  const which = spawnSync("sh", ["-c", "command -v systemd-analyze"], { encoding: "utf8" });
  if (which.status !== 0) return ["systemd-analyze is not installed (Debian package systemd): cannot verify the unit"];
  // An offline root holding systemd's own units, the unit, and an executable where ExecStart
  // points (verify checks it exists): the unit is checked as it would be installed.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "otelbpf-unit-"));
  try {
    fs.mkdirSync(path.join(root, "etc/systemd/system"), { recursive: true });
    fs.mkdirSync(path.join(root, "usr/local/bin"), { recursive: true });
    fs.mkdirSync(path.join(root, "usr/lib/systemd"), { recursive: true });
    fs.cpSync("/usr/lib/systemd/system", path.join(root, "usr/lib/systemd/system"), { recursive: true, verbatimSymlinks: true });
    fs.copyFileSync(unitFile, path.join(root, "etc/systemd/system/otelbpf.service"));
    fs.writeFileSync(path.join(root, "usr/local/bin/otelbpf"), "#!/bin/sh\n", { mode: 0o755 });
    const run = spawnSync("systemd-analyze", ["verify", "--man=no", `--root=${root}`, "otelbpf.service"], { encoding: "utf8" });
    // verify exits 0 on unknown keys and unparseable values, with a warning: any output fails.
    const output = `${run.stdout || ""}${run.stderr || ""}`.split(root).join("").trim();
    if (run.error) return [`systemd-analyze: ${run.error.message}`];
    if (run.status !== 0 || output) return [`systemd-analyze verify (exit ${run.status}):\n${output}`];
    return [];
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function unitPolicy(unit, daemonSetCapabilities, propagate) {
  const problems = [];
  const service = unit.Service || {};
  const one = (key) => (service[key] || []).join(" ");
  if (!/^\/usr\/local\/bin\/otelbpf run(\s|$)/.test(one("ExecStart"))) problems.push(`ExecStart=${one("ExecStart")}: expected /usr/local/bin/otelbpf run ...`);
  if (!(service.EnvironmentFile || []).includes("-/etc/default/otelbpf")) problems.push("EnvironmentFile=-/etc/default/otelbpf is missing");
  if (one("Restart") !== "on-failure") problems.push(`Restart=${one("Restart")}: expected on-failure`);
  if (one("NoNewPrivileges") !== "yes") problems.push("NoNewPrivileges=yes is missing");
  if (one("ProtectSystem") !== "strict") problems.push("ProtectSystem=strict is missing");
  const capabilities = (key) => new Set(one(key).split(/\s+/).filter(Boolean).map((c) => c.replace(/^CAP_/, "")));
  const expected = new Set(daemonSetCapabilities);
  for (const key of ["CapabilityBoundingSet", "AmbientCapabilities"]) {
    const got = capabilities(key);
    const missing = [...expected].filter((c) => !got.has(c));
    const extra = [...got].filter((c) => !expected.has(c));
    if (missing.length || extra.length) {
      problems.push(`${key}: not the DaemonSet's capabilities (missing ${missing.join(" ") || "none"}, extra ${extra.join(" ") || "none"})`);
    }
  }
  if (propagate) problems.push("the DaemonSet sets --propagate=headers: decide it for the unit too (this check assumes it off)");
  for (const [key, bad] of Object.entries(FORBIDDEN_UNIT_OPTIONS)) {
    for (const value of service[key] || []) if (bad.test(value)) problems.push(`${key}=${value} would blind the agent`);
  }
  return problems;
}

function defaultsPolicy(text) {
  const problems = [];
  const documented = documentedEnvNames();
  const own = new Set(["OTELBPF_OUTPUT", "OTELBPF_ARGS"]);  // read by the unit's ExecStart
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const kv = line.match(/^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    if (!kv) { problems.push(`not NAME=value: ${line}`); continue; }
    if (!documented.has(kv[1]) && !own.has(kv[1])) problems.push(`${kv[1]}: not an environment variable otelbpf or the unit reads`);
    if (kv[1] === "OTELBPF_OUTPUT" && !["none", "text", "json"].includes(kv[2])) problems.push(`OTELBPF_OUTPUT=${kv[2]}: none, text or json`);
  }
  return problems;
}

// ---- main --------------------------------------------------------------------------------

function main() {
  const args = parseArgs(process.argv.slice(2));
  const docs = loadManifests(args.k8sDir);
  const objects = docs.filter((d) => d.object);

  for (const doc of docs.filter((d) => d.problems)) check(`${doc.where}: parses as YAML`, () => doc.problems);
  for (const doc of objects) {
    check(`${describe(doc)}: is an object of a known apiVersion and kind`, () => {
      const o = doc.object;
      if (typeof o !== "object" || Array.isArray(o)) return ["not a mapping"];
      modelClass(o.apiVersion, o.kind);
      return [];
    });
  }
  const known = objects.filter((d) => { try { modelClass(d.object.apiVersion, d.object.kind); return true; } catch { return false; } });
  for (const doc of known) check(`${describe(doc)}: valid against the Kubernetes API schema`, () => validateSchema(doc));
  if (known.length) {
    unknownFieldProblems(known);
    for (const doc of known) check(`${describe(doc)}: no field unknown to the API`, () => doc.fieldProblems);
  }
  for (const doc of objects) {
    check(`${describe(doc)}: namespace`, () => namespacePolicy(objects, doc));
    check(`${describe(doc)}: otelbpf policy`, () => {
      const policy = POLICIES[doc.object.kind];
      if (!policy) return [`no policy for kind ${doc.object.kind}: add one to tests/deploy/validate.js before shipping it`];
      return policy(objects, doc);
    });
  }
  const kinds = new Set(objects.map((d) => d.object.kind));
  check("deploy/kubernetes ships a Namespace, ServiceAccount, ClusterRole, ClusterRoleBinding, ConfigMap and DaemonSet", () =>
    Object.keys(POLICIES).filter((k) => !kinds.has(k)).map((k) => `no ${k}`));

  // The systemd unit holds the DaemonSet's capabilities (its agent container's).
  const ds = objects.find((d) => d.object.kind === "DaemonSet");
  const agent = ds && (((ds.object.spec || {}).template || {}).spec || {}).containers;
  const agentContainer = agent && agent[0];
  const dsCaps = agentContainer ? (((agentContainer.securityContext || {}).capabilities || {}).add || []) : [];
  const unitLabel = path.relative(REPO, args.unit);
  check(`${unitLabel}: systemd-analyze verify`, () => systemdAnalyzeVerify(args.unit));
  check(`${unitLabel}: otelbpf policy (same capabilities as the DaemonSet, nothing that blinds the agent)`, () =>
    unitPolicy(parseUnit(fs.readFileSync(args.unit, "utf8")), dsCaps.length ? dsCaps : REQUIRED_CAPABILITIES,
               agentContainer ? hasPropagation(agentContainer.args) : false));
  check(`${path.relative(REPO, args.defaults)}: variables otelbpf reads`, () => defaultsPolicy(fs.readFileSync(args.defaults, "utf8")));

  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed ? 1 : 0);
}

try {
  main();
} catch (error) {
  console.error(`validate.js: ${error.message}`);
  console.log(`${results.passed} passed, ${results.failed + 1} failed`);
  process.exit(1);
}
