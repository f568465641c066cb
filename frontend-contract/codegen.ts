// GraphQL Code Generator: typed documents for every operation in operations/, into
// generated/ (committed; .ci/contract-client regenerates it and fails on drift).
// `npm ci && npm run codegen` here. Why each setting: README.md#typed-client.
import { createHash } from 'node:crypto';
import type { CodegenConfig } from '@graphql-codegen/cli';

// plain hex, as the server's persisted queries key documents (schema/core/persisted.py)
const sha256 = (document: string): string => createHash('sha256').update(document).digest('hex');

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['operations/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'generated/': {
      preset: 'client',
      presetConfig: {
        // the manifest mobile releases ship against (CRM_PERSISTED_ONLY=1)
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: sha256 },
        fragmentMasking: false,
      },
      config: {
        strictScalars: true,
        // the server's wire formats: ISO-8601 strings and decimal strings ("1299.00")
        scalars: {
          Date: 'string',
          DateTime: 'string',
          Time: 'string',
          Decimal: 'string',
          JSON: 'unknown',
        },
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: false,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
  },
};

export default config;
