// Reads only what a scan uses from a DescribeInstances response, straight from its bytes. The SDK's
// own XML parser builds every element of every instance one character at a time; at 100,000
// instances it was most of a scan's CPU.
import type { Instance, Reservation } from '@aws-sdk/client-ec2';

/** What the scan's mapper reads (src/sources/ec2/instance-mapper.ts), in the SDK's own shape. */
export interface ScanPage {
  Reservations: Reservation[];
  NextToken?: string;
}

// Element names that matter, as small numbers on the element stack; every other name is 0.
const NAMES = [
  'reservationSet',
  'item',
  'ownerId',
  'instancesSet',
  'instanceId',
  'imageId',
  'instanceState',
  'name',
  'instanceType',
  'iamInstanceProfile',
  'arn',
  'groupSet',
  'groupId',
  'metadataOptions',
  'httpTokens',
  'httpEndpoint',
  'tagSet',
  'key',
  'value',
  'subnetId',
  'launchTime',
  'nextToken',
] as const;
type Name = (typeof NAMES)[number];
const ID = new Map<string, number>(NAMES.map((name, index) => [name, index + 1]));
const id = (name: Name): number => ID.get(name) ?? 0;
const [RESERVATION_SET, ITEM, INSTANCES_SET, GROUP_SET, TAG_SET] = [
  id('reservationSet'),
  id('item'),
  id('instancesSet'),
  id('groupSet'),
  id('tagSet'),
];

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;

/**
 * Same text rules as the SDK's parser (@aws-sdk/xml-builder): line ends normalised before entities
 * are decoded, the five XML entities and numeric references (as UTF-16 code units), unknown named
 * entities dropped, CDATA kept as is, and whitespace containing a line break read as empty.
 */
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeText(raw: string): string {
  const lines = normaliseLines(raw);
  if (!lines.includes('&')) return lines;
  return lines.replace(
    /&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|([a-zA-Z][a-zA-Z0-9]{0,30}));/g,
    (_, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
      if (hex) return String.fromCharCode(parseInt(hex, 16));
      if (dec) return String.fromCharCode(parseInt(dec, 10));
      return (named !== undefined && Object.hasOwn(ENTITIES, named) ? ENTITIES[named] : '') ?? '';
    },
  );
}

function indexOfBytes(bytes: Buffer, text: string, from: number): number {
  const at = bytes.indexOf(text, from, 'latin1');
  if (at === -1) throw new Error(`DescribeInstances response: "${text}" not found after byte ${from}`);
  return at;
}

/** The fields read, by where their element sits (see `fieldAt`). */
const enum Field {
  None,
  NextToken,
  OwnerId,
  InstanceId,
  ImageId,
  InstanceType,
  SubnetId,
  LaunchTime,
  State,
  ProfileArn,
  HttpTokens,
  HttpEndpoint,
  GroupId,
  TagKey,
  TagValue,
}

/** Names that can be a field's element: anything else is never looked up. */
const LEAF = new Set(
  (
    [
      'nextToken',
      'ownerId',
      'instanceId',
      'imageId',
      'instanceType',
      'subnetId',
      'launchTime',
      'name',
      'arn',
      'httpTokens',
      'httpEndpoint',
      'groupId',
      'key',
      'value',
    ] as const
  ).map(id),
);

/**
 * Which field an element just opened (the top of `stack`, whose bottom is the root) is: by its
 * name and its ancestors, as DescribeInstances nests them.
 */
function fieldAt(stack: readonly number[]): Field {
  const depth = stack.length;
  const name = NAMES[(stack[depth - 1] ?? 0) - 1];
  if (depth === 2) return name === 'nextToken' ? Field.NextToken : Field.None;
  if (depth < 4 || stack[1] !== RESERVATION_SET || stack[2] !== ITEM) return Field.None;
  if (depth === 4) return name === 'ownerId' ? Field.OwnerId : Field.None;
  if (stack[3] !== INSTANCES_SET || stack[4] !== ITEM) return Field.None;
  if (depth === 6) {
    switch (name) {
      case 'instanceId':
        return Field.InstanceId;
      case 'imageId':
        return Field.ImageId;
      case 'instanceType':
        return Field.InstanceType;
      case 'subnetId':
        return Field.SubnetId;
      case 'launchTime':
        return Field.LaunchTime;
      default:
        return Field.None;
    }
  }
  const parent = NAMES[(stack[5] ?? 0) - 1];
  if (depth === 7) {
    if (parent === 'instanceState' && name === 'name') return Field.State;
    if (parent === 'iamInstanceProfile' && name === 'arn') return Field.ProfileArn;
    if (parent === 'metadataOptions' && name === 'httpTokens') return Field.HttpTokens;
    if (parent === 'metadataOptions' && name === 'httpEndpoint') return Field.HttpEndpoint;
    return Field.None;
  }
  if (depth === 8 && stack[6] === ITEM) {
    if (parent === 'groupSet' && name === 'groupId') return Field.GroupId;
    if (parent === 'tagSet' && name === 'key') return Field.TagKey;
    if (parent === 'tagSet' && name === 'value') return Field.TagValue;
  }
  return Field.None;
}

export function parseDescribeInstancesBody(body: Uint8Array): ScanPage {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const page: ScanPage = { Reservations: [] };
  const stack: number[] = [];
  let reservation: Reservation | null = null;
  let instance: Instance | null = null;
  let group: { GroupId?: string } | null = null;
  let tag: { Key?: string; Value?: string } | null = null;
  // The field being read: its element's depth and its text so far.
  let field = Field.None;
  let fieldDepth = -1;
  let parts: string[] = [];

  const assign = (text: string): void => {
    switch (field) {
      case Field.NextToken:
        page.NextToken = text;
        return;
      case Field.OwnerId:
        if (reservation) reservation.OwnerId = text;
        return;
      case Field.GroupId:
        if (group) group.GroupId = text;
        return;
      case Field.TagKey:
        if (tag) tag.Key = text;
        return;
      case Field.TagValue:
        if (tag) tag.Value = text;
        return;
    }
    if (instance === null) return;
    switch (field) {
      case Field.InstanceId:
        instance.InstanceId = text;
        return;
      case Field.ImageId:
        instance.ImageId = text;
        return;
      case Field.InstanceType:
        instance.InstanceType = text as Instance['InstanceType'];
        return;
      case Field.SubnetId:
        instance.SubnetId = text;
        return;
      case Field.LaunchTime:
        instance.LaunchTime = parseTimestamp(text);
        return;
      case Field.State:
        instance.State = { ...instance.State, Name: text as never };
        return;
      case Field.ProfileArn:
        instance.IamInstanceProfile = { ...instance.IamInstanceProfile, Arn: text };
        return;
      case Field.HttpTokens:
        instance.MetadataOptions = { ...instance.MetadataOptions, HttpTokens: text as never };
        return;
      case Field.HttpEndpoint:
        instance.MetadataOptions = { ...instance.MetadataOptions, HttpEndpoint: text as never };
        return;
    }
  };

  const open = (nameId: number): void => {
    stack.push(nameId);
    const depth = stack.length;
    if (nameId === ITEM) {
      if (depth === 3 && stack[1] === RESERVATION_SET) {
        reservation = { Instances: [] };
        page.Reservations.push(reservation);
      } else if (depth === 5 && stack[3] === INSTANCES_SET && reservation) {
        instance = {};
        reservation.Instances!.push(instance);
      } else if (depth === 7 && instance && stack[3] === INSTANCES_SET && stack[4] === ITEM) {
        if (stack[5] === GROUP_SET) {
          group = {};
          (instance.SecurityGroups ??= []).push(group);
        } else if (stack[5] === TAG_SET) {
          tag = {};
          (instance.Tags ??= []).push(tag);
        }
      }
    } else if (
      (nameId === GROUP_SET || nameId === TAG_SET) &&
      depth === 6 &&
      instance &&
      stack[3] === INSTANCES_SET
    ) {
      // An empty list is an empty array, as the SDK reads it.
      if (nameId === GROUP_SET) instance.SecurityGroups ??= [];
      else instance.Tags ??= [];
    } else if (field === Field.None && LEAF.has(nameId)) {
      field = fieldAt(stack);
      if (field !== Field.None) {
        fieldDepth = depth;
        parts = [];
      }
    }
  };

  const close = (): void => {
    if (field !== Field.None && stack.length === fieldDepth) {
      const text = parts.length === 1 ? (parts[0] ?? '') : parts.join('');
      assign(text.trim() === '' && text.includes('\n') ? '' : text);
      field = Field.None;
      fieldDepth = -1;
    }
    stack.pop();
  };

  let at = 0;
  const end = bytes.length;
  while (at < end) {
    const lt = bytes.indexOf(LT, at);
    if (lt === -1) break;
    if (field !== Field.None && lt > at) parts.push(decodeText(bytes.toString('utf8', at, lt)));
    const next = bytes[lt + 1];
    if (next === SLASH) {
      const gt = bytes.indexOf(GT, lt);
      if (gt === -1) throw new Error('DescribeInstances response: unexpected end of input');
      at = gt + 1;
      close();
      continue;
    }
    if (next === QUESTION) {
      at = indexOfBytes(bytes, '?>', lt) + 2;
      continue;
    }
    if (next === BANG) {
      if (bytes.toString('latin1', lt, lt + 9) === '<![CDATA[') {
        const stop = indexOfBytes(bytes, ']]>', lt + 9);
        if (field !== Field.None) parts.push(normaliseLines(bytes.toString('utf8', lt + 9, stop)));
        at = stop + 3;
      } else if (bytes.toString('latin1', lt, lt + 4) === '<!--') {
        at = indexOfBytes(bytes, '-->', lt) + 3;
      } else {
        throw new Error(`DescribeInstances response: unexpected markup at byte ${lt}`);
      }
      continue;
    }
    // An opening tag: its name, then attributes (quoted values may hold '>'), then '>' or '/>'.
    let cursor = lt + 1;
    while (cursor < end && !isNameEnd(bytes[cursor]!)) cursor++;
    const nameId = ID.get(bytes.toString('latin1', lt + 1, cursor)) ?? 0;
    let selfClosing = false;
    for (;;) {
      if (cursor >= end) throw new Error('DescribeInstances response: unexpected end of input');
      const byte = bytes[cursor]!;
      if (byte === QUOTE || byte === APOSTROPHE) {
        const closing = bytes.indexOf(byte, cursor + 1);
        if (closing === -1) throw new Error('DescribeInstances response: unterminated attribute value');
        cursor = closing + 1;
        continue;
      }
      if (byte === GT) {
        selfClosing = bytes[cursor - 1] === SLASH;
        break;
      }
      cursor++;
    }
    at = cursor + 1;
    open(nameId);
    if (selfClosing) close();
  }
  if (stack.length !== 0) throw new Error('DescribeInstances response: unexpected end of input');
  return page;
}

function isNameEnd(byte: number): boolean {
  // space, tab, CR, LF, '>' and '/'
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a || byte === GT || byte === SLASH;
}

function normaliseLines(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

function parseTimestamp(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new Error(`DescribeInstances response: launchTime "${text}" is not a date-time`);
  return date;
}
