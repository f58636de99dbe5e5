// The throughput chart: enqueued, completed and failed per minute (uPlot). Quiet minutes are
// missing from /v1/metrics/summary's series, so they are filled with zeros here. The three
// series differ by colour, by dash and by name in the legend, so colour is never the only cue.
// uPlot is loaded on first use (its own chunk), so the first page's script is small and the
// queues table does not wait for the chart library.
let uplotModule = null;
function loadUplot() {
  if (!uplotModule) {
    uplotModule = Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([m]) => m.default);
  }
  return uplotModule;
}

// Starts loading uPlot without waiting for it (a page that will draw a chart soon).
export function preloadChart() {
  loadUplot().catch(() => {});
}

export function minuteSeries(series, hours, nowMs = Date.now()) {
  const end = Math.floor(nowMs / 60000) * 60;
  const n = hours * 60;
  const start = end - (n - 1) * 60;
  const xs = new Array(n);
  const enq = new Array(n).fill(0);
  const done = new Array(n).fill(0);
  const failed = new Array(n).fill(0);
  for (let i = 0; i < n; i++) xs[i] = start + i * 60;
  for (const p of series || []) {
    const t = Math.floor(new Date(p.minute).getTime() / 1000);
    const i = Math.round((t - start) / 60);
    if (i < 0 || i >= n) continue;
    enq[i] = p.enqueued || 0;
    done[i] = p.completed || 0;
    failed[i] = p.failed || 0;
  }
  return [xs, enq, done, failed];
}

export async function throughputChart(container, data) {
  const uPlot = await loadUplot();
  const css = getComputedStyle(document.documentElement);
  const c = (name) => css.getPropertyValue(name).trim();
  // The box's content width: clientWidth includes its padding, and a plot (and its legend, as
  // wide as the plot) sized to it stuck out of the box by the padding.
  const width = () => {
    const st = getComputedStyle(container);
    const inner = container.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
    return Math.max(240, Math.floor(inner) || 600);
  };
  const opts = {
    width: width(),
    height: 220,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      { stroke: c('--muted'), grid: { stroke: c('--grid') }, ticks: { stroke: c('--grid') } },
      { stroke: c('--muted'), grid: { stroke: c('--grid') }, ticks: { stroke: c('--grid') }, size: 50 },
    ],
    series: [
      {},
      { label: 'enqueued', stroke: c('--c-queued'), width: 2, points: { show: false } },
      { label: 'completed', stroke: c('--c-completed'), width: 2, dash: [6, 3], points: { show: false } },
      { label: 'failed', stroke: c('--c-dead'), width: 2, dash: [2, 2], points: { show: false } },
    ],
  };
  const plot = new uPlot(opts, data, container);
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
  ro.observe(container);
  return {
    set(d) {
      plot.setData(d);
    },
    destroy() {
      ro.disconnect();
      plot.destroy();
    },
  };
}
