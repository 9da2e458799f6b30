// Mapping between the transport-neutral DS messages and the darktower/v1 signaling oneofs (mls.proto), so the
// Meeting Controller and the client SDK agree on one meaning of each field:
// - MlsCommit.epoch and MlsWelcome.epoch are the epoch the commit was created in (the joiner enters epoch + 1).
// - An MlsCommitRequest received by a client without a group means "found the group" (epoch 0), then commit the
//   adds, if any.
// - A CONFLICT ErrorMessage answering an MlsCommit means the epoch already has a commit: drop ours and rebase.
import { create } from '@bufbuild/protobuf';
import {
  ErrorCode,
  ErrorMessageSchema,
  MlsCommitRequestSchema,
  MlsCommitSchema,
  MlsKeyPackageRequestSchema,
  MlsKeyPackageUploadSchema,
  MlsMemberKeyPackageSchema,
  MlsWelcomeSchema,
  type ClientMessage,
  type ServerMessage,
} from '@darktower/protocol';
import type { DeliveryServiceCore } from './delivery-service-core.ts';
import type { DsDelivery, DsErrorCode, DsMessage, DsParticipantId } from './delivery-service-messages.ts';
import type { ParticipantOutbound } from './mls-participant.ts';

type ServerKind = ServerMessage['kind'];
type ClientKind = ClientMessage['kind'];

const WIRE_CODES: Record<DsErrorCode, ErrorCode> = {
  CONFLICT: ErrorCode.CONFLICT,
  FORBIDDEN: ErrorCode.FORBIDDEN,
  INVALID_REQUEST: ErrorCode.INVALID_REQUEST,
};

/** Meeting Controller: a DS delivery's message as the ServerMessage `kind` to send. */
export function dsMessageToServerKind(message: DsMessage): ServerKind {
  switch (message.type) {
    case 'keyPackageRequest':
      return {
        case: 'mlsKeyPackageRequest',
        value: create(MlsKeyPackageRequestSchema, { count: message.count }),
      };
    case 'commitRequest':
      return {
        case: 'mlsCommitRequest',
        value: create(MlsCommitRequestSchema, {
          epoch: message.epoch,
          add: message.add.map((a) =>
            create(MlsMemberKeyPackageSchema, { participantId: a.participantId, keyPackage: a.keyPackage }),
          ),
          removeParticipantIds: message.removeParticipantIds,
        }),
      };
    case 'commit':
      return {
        case: 'mlsCommit',
        value: create(MlsCommitSchema, {
          epoch: message.epoch,
          commit: message.commit,
          senderParticipantId: message.senderParticipantId,
        }),
      };
    case 'welcome':
      return {
        case: 'mlsWelcome',
        value: create(MlsWelcomeSchema, {
          epoch: message.epoch,
          welcome: message.welcome,
          senderParticipantId: message.senderParticipantId,
          recipientParticipantIds: message.recipientParticipantIds,
        }),
      };
    case 'error':
      return {
        case: 'error',
        value: create(ErrorMessageSchema, {
          code: WIRE_CODES[message.code],
          message: message.message,
          details: {
            reason: `MLS_${message.code}`,
            ...(message.currentEpoch === undefined ? {} : { current_epoch: message.currentEpoch.toString() }),
          },
        }),
      };
    default: {
      const never: never = message;
      return never;
    }
  }
}

/**
 * Client: the DsMessage for an MLS ServerMessage `kind`, or undefined for other kinds. `hasGroup`: whether the
 * client's MlsMember already has a group. An ErrorMessage maps to a DS error only when it answers one of the
 * client's MlsCommit messages (`answersMlsCommit`, known from the request_id).
 */
export function serverKindToDsMessage(
  kind: ServerKind,
  context: { hasGroup: boolean; answersMlsCommit?: boolean },
): DsMessage | undefined {
  switch (kind.case) {
    case 'mlsKeyPackageRequest':
      return { type: 'keyPackageRequest', count: kind.value.count };
    case 'mlsCommitRequest':
      return {
        type: 'commitRequest',
        epoch: kind.value.epoch,
        createGroup: !context.hasGroup && kind.value.epoch === 0n,
        add: kind.value.add.map((a) => ({ participantId: a.participantId, keyPackage: a.keyPackage })),
        removeParticipantIds: [...kind.value.removeParticipantIds],
      };
    case 'mlsCommit':
      return {
        type: 'commit',
        epoch: kind.value.epoch,
        commit: kind.value.commit,
        senderParticipantId: kind.value.senderParticipantId,
      };
    case 'mlsWelcome':
      return {
        type: 'welcome',
        epoch: kind.value.epoch,
        welcome: kind.value.welcome,
        senderParticipantId: kind.value.senderParticipantId,
        recipientParticipantIds: [...kind.value.recipientParticipantIds],
      };
    case 'error': {
      if (context.answersMlsCommit !== true) return undefined;
      const code = (Object.keys(WIRE_CODES) as DsErrorCode[]).find((c) => WIRE_CODES[c] === kind.value.code);
      if (code === undefined) return undefined;
      const epoch = kind.value.details.current_epoch;
      return {
        type: 'error',
        code,
        message: kind.value.message,
        currentEpoch: epoch !== undefined && /^\d{1,20}$/.test(epoch) ? BigInt(epoch) : undefined,
      };
    }
    default:
      return undefined;
  }
}

/** Client: a ParticipantOutbound as the ClientMessage `kind` to send. */
export function participantOutboundToClientKind(out: ParticipantOutbound): ClientKind {
  switch (out.type) {
    case 'keyPackage':
      return {
        case: 'mlsKeyPackage',
        value: create(MlsKeyPackageUploadSchema, { keyPackage: out.keyPackage }),
      };
    case 'commit':
      return { case: 'mlsCommit', value: create(MlsCommitSchema, { epoch: out.epoch, commit: out.commit }) };
    case 'welcome':
      return {
        case: 'mlsWelcome',
        value: create(MlsWelcomeSchema, {
          epoch: out.epoch,
          welcome: out.welcome,
          recipientParticipantIds: out.recipientParticipantIds,
        }),
      };
    default: {
      const never: never = out;
      return never;
    }
  }
}

/**
 * Meeting Controller: hands an MLS ClientMessage `kind` from `from` to the DS core and returns its deliveries;
 * undefined for kinds that are not MLS. (Sender ids in the message are ignored: the DS uses the session's.)
 */
export function applyClientKind(
  ds: Pick<DeliveryServiceCore, 'uploadKeyPackage' | 'submitCommit' | 'submitWelcome'>,
  from: DsParticipantId,
  kind: ClientKind,
): DsDelivery[] | undefined {
  switch (kind.case) {
    case 'mlsKeyPackage':
      return ds.uploadKeyPackage(from, kind.value.keyPackage);
    case 'mlsCommit':
      return ds.submitCommit(from, kind.value.epoch, kind.value.commit);
    case 'mlsWelcome':
      return ds.submitWelcome(from, kind.value.epoch, kind.value.welcome, kind.value.recipientParticipantIds);
    default:
      return undefined;
  }
}
