// Reads Emporium's software catalog as a Backstage instance would: the root catalog-info.yaml,
// then every file its Location names; each entity checked by @backstage/catalog-model (the
// envelope, the kind's own schema, the default policies), with `$text` definitions inlined as
// the catalog backend's placeholder processor does, and every relation checked to name an
// entity of the catalog. Exits 1, naming each problem, when any is found.
//
//   npm ci --prefix tests/catalog && node tests/catalog/validate.mjs [root catalog-info.yaml]
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import * as model from "@backstage/catalog-model";

const validators = [
  model.apiEntityV1alpha1Validator,
  model.componentEntityV1alpha1Validator,
  model.domainEntityV1alpha1Validator,
  model.groupEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator,
  model.resourceEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator,
];
const envelope = model.entitySchemaValidator();
const policies = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);
// The relations a spec may hold, with the kind a bare name refers to.
const relations = {
  owner: "group", system: "system", domain: "domain", providesApis: "api",
  consumesApis: "api", dependsOn: "component", children: "group", parent: "group",
};

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, "../../catalog-info.yaml"));
const problems = [];
const entities = [];

function read(file) {
  const documents = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  for (const document of documents) {
    if (document.errors.length > 0) {
      problems.push(`${file}: ${document.errors.map((error) => error.message).join("; ")}`);
      continue;
    }
    const entity = document.toJS();
    const definition = entity?.spec?.definition;
    if (definition && typeof definition === "object" && definition.$text) {
      const named = path.join(path.dirname(file), definition.$text);
      if (!fs.existsSync(named)) problems.push(`${file}: ${entity.metadata?.name}: $text ${named} does not exist`);
      else entity.spec.definition = fs.readFileSync(named, "utf8");
    }
    entities.push({ entity, file });
    if (entity.kind === "Location") {
      for (const target of entity.spec?.targets ?? []) read(path.join(path.dirname(file), target));
    }
  }
}

read(root);
const known = new Set();
for (const { entity, file } of entities) {
  const where = `${path.relative(process.cwd(), file)}: ${entity.kind} ${entity.metadata?.name}`;
  try {
    envelope(entity);
    const checked = await policies.enforce(entity);
    let matched = false;
    for (const validator of validators) if (await validator.check(checked)) matched = true;
    if (!matched) throw new Error(`no validator takes kind ${entity.kind}`);
    const reference = model.stringifyEntityRef(checked);
    if (known.has(reference)) throw new Error(`${reference} is defined twice`);
    known.add(reference);
  } catch (error) {
    problems.push(`${where}: ${error.message}`);
  }
}
for (const { entity, file } of entities) {
  for (const [field, defaultKind] of Object.entries(relations)) {
    const value = entity.spec?.[field];
    for (const named of Array.isArray(value) ? value : value ? [value] : []) {
      const reference = model.stringifyEntityRef(model.parseEntityRef(named, { defaultKind, defaultNamespace: "default" }));
      if (!known.has(reference)) problems.push(`${path.relative(process.cwd(), file)}: ${entity.metadata.name}: spec.${field} names ${reference}, which no file defines`);
    }
  }
}
for (const problem of problems) console.log(`FAIL ${problem}`);
console.log(`${entities.length} entities read, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
