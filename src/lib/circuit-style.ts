// The circuit graph's Cytoscape stylesheet (CircuitGraph.svelte): unit pictures, group boxes, edges
// coloured by sign and as wide as they are strong. Edges that cross into another unit's group are hidden
// unless asked for (they ran as a band along the level-1 labels) and shown with a hovered unit's edges.
import type cytoscape from 'cytoscape';

/** Edge width follows the L2 norm between the graph's weakest and strongest edge. */
export function circuitStyle(minL2: number, maxL2: number): cytoscape.StylesheetJson {
  return [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        'background-color': '#f1f1f4',
        'border-width': 1,
        'border-color': '#c9c9d1',
        label: 'data(label)',
        'font-size': 11,
        'font-family': 'system-ui, sans-serif',
        color: '#1b1b1f',
        'text-valign': 'bottom',
        'text-margin-y': 5,
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.8,
        'text-background-padding': '1px',
      },
    },
    // Only units carry a size: a group box's size follows its children (mapping it would warn).
    { selector: 'node[size]', style: { width: 'data(size)', height: 'data(size)' } },
    // No crossorigin: the pictures are the site's own, and a CORS request would not share the HTTP cache with
    // the page's <img> lists of the same files (each was fetched twice).
    { selector: 'node[thumb]', style: { 'background-image': 'data(thumb)', 'background-fit': 'cover', 'background-image-smoothing': 'no', 'background-image-crossorigin': 'null' as 'anonymous' } }, // 'null' is handled (no attribute); the types lag
    { selector: 'node[channel]', style: { 'background-color': 'data(fill)', 'border-width': 0 } },
    { selector: 'node[!thumb][!channel]', style: { 'border-style': 'dotted' } },
    { selector: 'node.grid', style: { 'font-size': 10, 'text-margin-y': 3 } },
    { selector: 'node.root', style: { 'border-width': 3, 'border-color': '#1b1b1f' } },
    {
      selector: 'node.box',
      style: { shape: 'round-rectangle', 'background-color': '#f6f6f9', 'border-width': 1, 'border-color': '#dcdce3', padding: '6px', label: '', events: 'no' },
    },
    { selector: 'node.crop', style: { 'border-style': 'dashed' } },
    // A box member's frame: the sign and strength of its edge into the box (its own edge is faint, below).
    { selector: 'node[frame]', style: { 'border-color': 'data(frame)', 'border-width': 'data(frameW)' } },
    { selector: 'node.hover', style: { 'border-color': '#f5a623', 'border-width': 3 } },
    {
      selector: 'edge',
      style: {
        width: `mapData(l2, ${minL2}, ${maxL2}, 1.5, 9)`,
        'line-color': 'data(color)',
        'target-arrow-color': 'data(color)',
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.8,
        'curve-style': 'bezier',
        'source-endpoint': (ele: cytoscape.EdgeSingular) => ele.data('start') as string,
        'target-endpoint': (ele: cytoscape.EdgeSingular) => ele.data('end') as string,
        opacity: 0.78,
      },
    },
    // Routed round the pictures of a box (graph-routes.ts): straight runs between the route's bends.
    {
      selector: 'edge.routed',
      style: {
        'curve-style': 'segments',
        // Cytoscape 3.34 supports 'endpoints' (bends relative to the manual endpoints); its types lag behind.
        'edge-distances': 'endpoints' as 'intersection',
        'segment-weights': (ele: cytoscape.EdgeSingular) => ele.data('segW') as string,
        'segment-distances': (ele: cytoscape.EdgeSingular) => ele.data('segD') as string,
      },
    },
    // Edges into another unit's box cross the layout: fainter when shown, hidden when not asked for.
    { selector: 'edge.cross', style: { opacity: 0.3 } },
    { selector: 'edge.cross.hidden', style: { display: 'none' } },
    { selector: 'edge.inbox', style: { opacity: 0.3 } },
    { selector: 'edge.faded', style: { opacity: 0.08 } },
    { selector: 'edge.hover', style: { display: 'element', opacity: 1, 'z-index': 10 } },
  ];
}
