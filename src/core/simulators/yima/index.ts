/** Yima training gateway: loopback HTTP speaking the real Yima wire format (JSON / GBK XML / form). */
export { startYimaSimulator, YIMA_SIM_CODES, YIMA_SIM_PATH, YIMA_SIM_MAX_BODY } from './server';
export type { YimaNotifyPlan, YimaSimFault, YimaSimOrder, YimaSimRequest, YimaSimScript, YimaSimTarget, YimaSimulator, YimaSimulatorOptions } from './server';
export { simSplitProblem } from './split-check';
