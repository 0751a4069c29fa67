// CDN build stand-in for webrtc-adapter (see slimDependencies() in vite.config.ts): PeerJS reads only
// `browserDetails` from it. The detection repeats webrtc-adapter 9.0.6's detectBrowser; its shims,
// which patch the page's global RTCPeerConnection and are no-ops in the browsers the kit targets,
// are left out.
function detect() {
  if (typeof window === 'undefined' || !window.navigator?.userAgent)
    return { browser: 'Not a browser.', version: null };
  const { navigator } = window;
  const brands = navigator.userAgentData?.brands;
  const chromium = Array.isArray(brands) ? brands.find((brand) => brand.brand === 'Chromium') : undefined;
  if (chromium && Number.parseInt(chromium.version, 10) >= 90) {
    return { browser: 'chrome', version: Number.parseInt(chromium.version, 10) };
  }
  const version = (pattern, index) => {
    const match = navigator.userAgent.match(pattern);
    return match && match.length > index ? Number.parseInt(match[index], 10) : null;
  };
  if (navigator.mozGetUserMedia) return { browser: 'firefox', version: version(/Firefox\/(\d+)\./, 1) };
  if (navigator.webkitGetUserMedia || (window.isSecureContext === false && window.webkitRTCPeerConnection)) {
    return { browser: 'chrome', version: version(/Chrom(e|ium)\/(\d+)\./, 2) };
  }
  if (window.RTCPeerConnection && /AppleWebKit\/(\d+)\./.test(navigator.userAgent)) {
    return { browser: 'safari', version: version(/AppleWebKit\/(\d+)\./, 1) };
  }
  return { browser: 'Not a supported browser.', version: null };
}

export default { browserDetails: detect() };
