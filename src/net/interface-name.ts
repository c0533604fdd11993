// A network interface name as every part that meets it accepts it: the kernel (dev_valid_name: 1-15 bytes,
// not "." or "..", no '/', ':' or white space), and nft/iptables rules, which take it inside quotes or as a
// bare word — so only letters, digits, '_', '.', '-'. The config, the ubus arguments and the firewall all
// check with this one function: a name the firewall would refuse never gets past a reload.
const NAME = /^[A-Za-z0-9_.-]{1,15}$/;

export const INTERFACE_NAME_RULE = '1-15 of A-Z a-z 0-9 _ . -, not "." or ".."';

export function isInterfaceName(text: unknown): text is string {
  return typeof text === 'string' && NAME.test(text) && text !== '.' && text !== '..';
}
