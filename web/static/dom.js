// The pages' two DOM helpers. Text goes in with textContent only.
export const $ = (id) => document.getElementById(id);

export const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};
