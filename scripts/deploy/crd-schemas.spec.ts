import { schemasOfCrd, strictSchema } from './crd-schemas';

const crd = (overrides: Record<string, unknown> = {}) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  spec: {
    group: 'monitoring.coreos.com',
    names: { kind: 'ServiceMonitor' },
    versions: [
      {
        name: 'v1',
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                properties: {
                  jobLabel: { type: 'string' },
                  port: { 'x-kubernetes-int-or-string': true, type: 'string' },
                  params: { type: 'object', additionalProperties: { type: 'string' } },
                  raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: {} } },
                  note: { type: 'string', nullable: true },
                },
              },
            },
          },
        },
      },
    ],
    ...overrides,
  },
});

describe('strictSchema', () => {
  it('closes objects that list their properties', () => {
    const schema = strictSchema({ type: 'object', properties: { a: { type: 'string' } } });
    expect(schema).toEqual({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false });
  });

  it('leaves open what the CRD leaves open', () => {
    expect(strictSchema({ type: 'object' })).toEqual({ type: 'object' });
    const preserved = strictSchema({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: {} });
    expect(preserved).not.toHaveProperty('additionalProperties');
    const map = strictSchema({ type: 'object', properties: {}, additionalProperties: { type: 'string' } });
    expect(map).toHaveProperty('additionalProperties', { type: 'string' });
  });

  it('does not mistake a property named "properties" for a schema keyword', () => {
    const schema = strictSchema({
      type: 'object',
      properties: { properties: { type: 'object', properties: { x: { type: 'integer' } } } },
    });
    expect(schema).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        properties: { type: 'object', properties: { x: { type: 'integer' } }, additionalProperties: false },
      },
    });
  });
});

describe('schemasOfCrd', () => {
  it('names the file as kubeconform looks it up and pins apiVersion and kind', () => {
    const [file] = schemasOfCrd(crd());
    expect(file?.fileName).toBe('servicemonitor-monitoring-v1.json');
    expect(file?.schema).toMatchObject({
      additionalProperties: false,
      properties: {
        apiVersion: { enum: ['monitoring.coreos.com/v1'] },
        kind: { enum: ['ServiceMonitor'] },
      },
    });
  });

  it('turns int-or-string and nullable into JSON Schema', () => {
    const [file] = schemasOfCrd(crd());
    const spec = (file?.schema as { properties: { spec: { properties: Record<string, unknown> } } }).properties.spec;
    expect(spec.properties.port).toMatchObject({ oneOf: [{ type: 'string' }, { type: 'integer' }] });
    expect(spec.properties.port).not.toHaveProperty('type');
    expect(spec.properties.note).toMatchObject({ type: ['string', 'null'] });
  });

  it('writes one file per version and skips versions without a schema', () => {
    const files = schemasOfCrd(
      crd({
        group: 'keda.sh',
        names: { kind: 'ScaledObject' },
        versions: [{ name: 'v1alpha1', schema: { openAPIV3Schema: { type: 'object' } } }, { name: 'v1beta1' }],
      }),
    );
    expect(files.map((f) => f.fileName)).toEqual(['scaledobject-keda-v1alpha1.json']);
  });

  it('ignores documents that are not CRDs and rejects malformed CRDs', () => {
    expect(schemasOfCrd({ kind: 'ConfigMap' })).toEqual([]);
    expect(() => schemasOfCrd({ kind: 'CustomResourceDefinition', spec: { versions: [] } })).toThrow(/spec.group/);
  });
});
