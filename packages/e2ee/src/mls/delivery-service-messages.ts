// What the MLS Delivery Service core says to participants. Each message maps onto one ServerMessage of
// darktower/v1 signaling.proto; the Meeting Controller does the mapping and sends each delivery to `to`.
// Bytes are opaque MLS messages: the DS never parses or holds group secrets.

export type DsParticipantId = string;

export interface DsMemberKeyPackage {
  participantId: DsParticipantId;
  keyPackage: Uint8Array;
}

export type DsMessage =
  /** -> MlsKeyPackageRequest{count}: upload fresh key package(s). */
  | { type: 'keyPackageRequest'; count: number }
  /**
   * -> MlsCommitRequest{epoch, add, remove_participant_ids}: commit these changes at `epoch`. An empty request asks
   * for a self-update (periodic rotation). `createGroup` is true when the recipient is not in a group yet: it
   * founds the group (epoch 0) and then commits the adds. On the wire that is an MlsCommitRequest with epoch 0
   * received by a client that has no group.
   */
  | {
      type: 'commitRequest';
      epoch: bigint;
      createGroup: boolean;
      add: DsMemberKeyPackage[];
      removeParticipantIds: DsParticipantId[];
    }
  /**
   * -> MlsCommit: the accepted commit of `epoch`. The committer receives it too (echo the request_id of its
   * MlsCommit): that is its acceptance. Members apply it to move to epoch + 1.
   */
  | { type: 'commit'; epoch: bigint; commit: Uint8Array; senderParticipantId: DsParticipantId }
  /** -> MlsWelcome: join the group at epoch + 1. */
  | {
      type: 'welcome';
      epoch: bigint;
      welcome: Uint8Array;
      senderParticipantId: DsParticipantId;
      recipientParticipantIds: DsParticipantId[];
    }
  /**
   * -> ErrorMessage{code}: the request was refused. CONFLICT: a commit for an epoch that already has one (or is
   * not current): process the relayed commit and rebase. FORBIDDEN: not a group member. INVALID_REQUEST: bad
   * sizes, unknown recipients.
   */
  | { type: 'error'; code: DsErrorCode; message: string; currentEpoch: bigint | undefined };

/** The ErrorCode names of api-contracts.md used by the DS. */
export type DsErrorCode = 'CONFLICT' | 'FORBIDDEN' | 'INVALID_REQUEST';

export interface DsDelivery {
  to: DsParticipantId;
  message: DsMessage;
}
