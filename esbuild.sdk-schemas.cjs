/**
 * Lets esbuild drop the parts of an AWS SDK client's serialization schemas a bundle never uses.
 *
 * Since 3.930 the SDK's clients describe every shape in one generated module
 * (dist-es/schemas/schemas_0.js). Their trait objects are written with computed keys that name
 * module constants, `{ [_xN]: _dR }` with `const _xN = "xmlName"`, and esbuild keeps any statement
 * with a computed key: it cannot prove `[expr]` free of side effects (esbuild issue 4373,
 * aws-sdk-js-v3 issue 7607). So a bundle that imports EC2Client and nine commands carried the schemas
 * of all ~750 EC2 operations: 555 KB of the 1.4 MB launch-test bundle, which Node parses on every
 * cold start.
 *
 * This rewrites such a key to the string literal its constant holds (`{ "xmlName": _dR }`), the
 * change the SDK's code generator is to make itself (smithy-typescript pull request 1889). It only
 * touches a computed key that is exactly the name of a top-level `const NAME = "string";` of the same
 * module (the generated string store), so the object built is the same; test/bench/sdk-schemas.test.ts
 * evaluates every installed schemas module both ways and compares every export.
 */
'use strict';
const { readFile } = require('node:fs/promises');

/** The generated schema modules of the SDK clients (and the nested clients of the credential chain). */
const SCHEMA_MODULE = /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:.+[\\/])?schemas[\\/]schemas_\d+\.js$/;

/** `const _xN = "xmlName";` at the start of a line: the generated string store. */
const STRING_CONSTANT = /^const ([A-Za-z_$][\w$]*) = ("(?:[^"\\\n]|\\.)*");$/gm;

/** `[_xN]:`: a computed key naming an identifier. */
const COMPUTED_KEY = /\[([A-Za-z_$][\w$]*)\]:/g;

/** The module's source with every computed key that names a string constant written as that string. */
function literalSchemaKeys(source) {
  const strings = new Map();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) {
    // a name declared twice is not a constant we can read off the text
    if (strings.has(name)) strings.set(name, undefined);
    else strings.set(name, literal);
  }
  return source.replace(COMPUTED_KEY, (key, name) => {
    const literal = strings.get(name);
    return literal === undefined ? key : `${literal}:`;
  });
}

/** The esbuild plugin: loads each SDK schema module through literalSchemaKeys. */
const sdkSchemaKeysPlugin = {
  name: 'sdk-schema-literal-keys',
  setup(build) {
    build.onLoad({ filter: SCHEMA_MODULE }, async (args) => ({ contents: literalSchemaKeys(await readFile(args.path, 'utf8')), loader: 'js' }));
  },
};

module.exports = { SCHEMA_MODULE, literalSchemaKeys, sdkSchemaKeysPlugin };
