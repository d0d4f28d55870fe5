import { describe, expect, it } from 'vitest';
import {
  credentialScope,
  filtersParam,
  listParam,
  parseQueryBody,
  structListParam,
} from '../../packages/simulator/src/query-protocol.js';
import { escapeXml } from '../../packages/simulator/src/xml.js';

describe('credentialScope', () => {
  it('reads region and service from a SigV4 Authorization header', () => {
    const header =
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc';
    expect(credentialScope(header)).toEqual({ region: 'eu-west-1', service: 'ec2' });
  });

  it('returns null for a missing or malformed header', () => {
    expect(credentialScope(undefined)).toBeNull();
    expect(credentialScope('Bearer token')).toBeNull();
  });
});

describe('Query parameters', () => {
  const params = parseQueryBody(
    'Action=DescribeInstances&Filter.2.Name=tag%3Arole&Filter.2.Value.1=web&Filter.1.Name=instance-state-name' +
      '&Filter.1.Value.2=stopped&Filter.1.Value.1=running&InstanceId.10=i-b&InstanceId.2=i-a&Tag.1.Key=k&Tag.1.Value=a%26b%20c',
  );

  it('orders list members by their numeric index', () => {
    expect(listParam(params, 'InstanceId')).toEqual(['i-a', 'i-b']);
  });

  it('reads filters with their values', () => {
    expect(filtersParam(params)).toEqual([
      { name: 'instance-state-name', values: ['running', 'stopped'] },
      { name: 'tag:role', values: ['web'] },
    ]);
  });

  it('reads struct lists and decodes values', () => {
    expect(structListParam(params, 'Tag').map((m) => Object.fromEntries(m))).toEqual([
      { Key: 'k', Value: 'a&b c' },
    ]);
  });
});

describe('escapeXml', () => {
  it('escapes markup, quotes and carriage returns', () => {
    expect(escapeXml(`<script>&"'\r`)).toBe('&lt;script&gt;&amp;&quot;&apos;&#xD;');
  });
});
