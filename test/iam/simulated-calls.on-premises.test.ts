/**
 * IAM proven by the simulation, examples/deploy/on-premises.json: see test/iam/iam-proof.ts for
 * what is checked and the explicit lists of what is not proven yet.
 */
import { describeIamProof } from './iam-proof';

describeIamProof('on-premises');
