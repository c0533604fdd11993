import test from 'ava';
import { IllegalTransition, TunnelStateMachine, type TunnelState } from '../../src/daemon/tunnel-state.js';

test('starts Disconnected; every change is timed and heard', (t) => {
  const m = new TunnelStateMachine(1000);
  t.deepEqual(m.state, { state: 'disconnected' });
  t.is(m.since, 1000);
  const heard: Array<[TunnelState['state'], number]> = [];
  m.onChange((s, at) => heard.push([s.state, at]));
  m.moveTo({ state: 'connecting', retryAttempt: 0 }, 2000);
  m.moveTo({ state: 'connecting', retryAttempt: 1 }, 2500);
  m.moveTo({ state: 'connected', connectedSince: 3000, entry: { id: 'e' }, exit: { id: 'x' }, addresses: { ipv4: '10.200.1.2' } }, 3000);
  m.moveTo({ state: 'disconnecting', after: 'reconnect' }, 4000);
  m.moveTo({ state: 'connecting', retryAttempt: 0 }, 4100);
  m.moveTo({ state: 'error', reason: 'InvalidExitGatewayCountry', message: 'no exit in FR' }, 4200);
  m.moveTo({ state: 'disconnected' }, 5000);
  t.deepEqual(heard, [['connecting', 2000], ['connecting', 2500], ['connected', 3000], ['disconnecting', 4000], ['connecting', 4100], ['error', 4200], ['disconnected', 5000]]);
  t.is(m.since, 5000);
});

test('transitions outside the machine are refused and change nothing', (t) => {
  const m = new TunnelStateMachine(0);
  t.throws(() => m.moveTo({ state: 'connected', connectedSince: 0, entry: { id: 'e' }, exit: { id: 'x' }, addresses: {} }, 1), { instanceOf: IllegalTransition });
  t.deepEqual(m.state, { state: 'disconnected' });
  m.moveTo({ state: 'offline', reconnect: true }, 1);
  t.false(m.canMoveTo('connected'));
  t.true(m.canMoveTo('connecting'));
  t.throws(() => m.moveTo({ state: 'error', reason: 'Internal', message: '' }, 2), { instanceOf: IllegalTransition });
  t.deepEqual(m.state, { state: 'offline', reconnect: true });
  t.is(m.since, 1);
});
