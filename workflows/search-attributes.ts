import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PipelineKey = defineSearchAttributeKey('Pipeline', SearchAttributeType.KEYWORD);
export const ModelVersionKey = defineSearchAttributeKey('ModelVersion', SearchAttributeType.KEYWORD);
export const RunStatusKey = defineSearchAttributeKey('RunStatus', SearchAttributeType.KEYWORD);
export const GateStatusKey = defineSearchAttributeKey('GateStatus', SearchAttributeType.KEYWORD);
/** The newest feed delivery a run took up (registered as Keyword by cli/services/dev-server.ts). */
export const DeliveryIdKey = defineSearchAttributeKey('DeliveryId', SearchAttributeType.KEYWORD);
