// The HTML LuCI's dispatcher and its bootstrap theme would send: the login form (sysauth) and the
// page around a view (header with the menu, the node's tabs, #view, L's environment), with the
// lab runtime's scripts instead of luci-base's.

import type { MenuNode, NodeSpec } from './menu.js';

export const SCRIPT_NAME = '/cgi-bin/luci';
export const RESOURCE = '/luci-static/resources';
export const MEDIA = '/luci-static/bootstrap';
export const HOSTNAME = 'OpenWrt';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside <script>: no "</script>" can end the block early. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function head(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(HOSTNAME)} - ${esc(title)} - LuCI</title>
<link rel="stylesheet" href="${MEDIA}/cascade.css">
</head>`;
}

function header(menu: MenuNode[], active: string, loggedIn: boolean): string {
  const items = menu.map((top) => {
    const entries = top.children.map((c) => `<li><a href="${SCRIPT_NAME}/${esc(c.path)}">${esc(c.title)}</a></li>`).join('');
    const cls = active.startsWith(`${top.path}/`) || active === top.path ? ' active' : '';
    return `<li class="dropdown${cls}"><a class="menu" href="${SCRIPT_NAME}/${esc(top.path)}">${esc(top.title)}</a><ul class="dropdown-menu">${entries}</ul></li>`;
  }).join('');
  const logout = loggedIn ? `<a class="label" href="${SCRIPT_NAME}/admin/logout">Log out</a>` : '';
  return `<header><div class="fill"><div class="container">
<a class="brand" href="/">${esc(HOSTNAME)}</a>
<ul class="nav" id="topmenu">${items}</ul>
<div class="pull-right" id="indicators">${logout}</div>
</div></div></header>`;
}

const footer = `<footer><span>Powered by LuCI (nym-vpn lab runtime)</span></footer>`;

export function loginPage(error: boolean, action: string): string {
  return `${head('Authorization Required')}
<body class="lang_en" data-page="sysauth">
${header([], '', false)}
<div id="maincontent" class="container">
${error ? '<div class="alert-message error">Invalid username and/or password! Please try again.</div>' : ''}
<form method="post" action="${esc(action)}" class="cbi-map">
<h2 name="content">Authorization Required</h2>
<div class="cbi-map-descr">Please enter your username and password.</div>
<div class="cbi-section"><div class="cbi-section-node">
<div class="cbi-value"><label class="cbi-value-title" for="luci_username">Username</label>
<div class="cbi-value-field"><input class="cbi-input-text" type="text" name="luci_username" id="luci_username" autocomplete="username"></div></div>
<div class="cbi-value"><label class="cbi-value-title" for="luci_password">Password</label>
<div class="cbi-value-field"><input class="cbi-input-text" type="password" name="luci_password" id="luci_password" autocomplete="current-password"></div></div>
</div></div>
<div class="cbi-page-actions"><button class="btn cbi-button cbi-button-positive important" type="submit">Log in</button></div>
</form>
</div>
${footer}
</body></html>`;
}

export interface ViewPageInput {
  node: MenuNode;
  spec: NodeSpec;
  /** Top-level menu entries with their visible children. */
  menu: MenuNode[];
  /** The tabs shown above the view: the node's siblings. */
  tabs: MenuNode[];
  env: Record<string, unknown>;
  viewPath: string;
}

export function viewPage(p: ViewPageInput): string {
  const tabs = p.tabs.length > 1
    ? `<ul class="cbi-tabmenu" id="tabmenu">${p.tabs.map((t) => `<li class="${t.path === p.node.path ? 'cbi-tab' : 'cbi-tab-disabled'}" data-tab="${esc(t.path.split('/').pop()!)}"><a href="${SCRIPT_NAME}/${esc(t.path)}">${esc(t.title)}</a></li>`).join('')}</ul>`
    : '';
  return `${head(p.node.title)}
<body class="lang_en" data-page="${esc(p.node.path.replace(/\//g, '-'))}">
${header(p.menu, p.node.path, true)}
<div id="maincontent" class="container">
${tabs}
<div id="view"><div class="spinning">Loading view…</div></div>
</div>
${footer}
<script src="${RESOURCE}/luci.js"></script>
<script>L = new LuCI(${scriptJson(p.env)}); L.require('ui').then(function(ui) { ui.instantiateView(${scriptJson(p.viewPath)}); });</script>
</body></html>`;
}

export function notFoundPage(loggedIn: boolean, what: string): string {
  return `${head('Not Found')}
<body class="lang_en">
${header([], '', loggedIn)}
<div id="maincontent" class="container"><h2>Page not found</h2><p>${esc(what)}</p></div>
${footer}
</body></html>`;
}
